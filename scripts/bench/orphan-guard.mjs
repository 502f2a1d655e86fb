/**
 * Plain JavaScript, so it preloads under plain node too (the built gateway). Preloaded into every bench child (`node --import ./scripts/bench/orphan-guard.mjs`): when the
 * bench's end of our stdin pipe closes (the bench exited, even by SIGKILL, which it cannot
 * catch), this process asks itself to stop with SIGTERM, so its own shutdown runs (the gateway
 * drains; a `--cpu-prof` profile is written) instead of lingering as an orphan on a port.
 *
 * It only listens on stdin, which nothing in the gateway reads: the code under test is unchanged.
 */

process.stdin.on('error', () => {});
process.stdin.on('close', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.resume();
// The pipe must not by itself keep a process alive that would otherwise end.
process.stdin.unref?.();
