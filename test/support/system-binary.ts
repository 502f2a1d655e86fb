/**
 * Finding a Debian package's binary the tests drive for real (Chromium, redis-server): an
 * environment variable naming it, else its Debian path, else the PATH; an error naming the fix
 * when there is none. `.ci/run` installs the packages the same way it looks for them.
 */

import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export interface SystemBinary {
  /** The binary's name on the PATH, e.g. `chromium`. */
  name: string;
  /** The variable that may name it, e.g. `CHROMIUM_PATH`. */
  variable: string;
  /** Where Debian's package puts it. */
  debianPath: string;
  /** Which tests need it, for the error: "the browser tests". */
  neededBy: string;
}

export function findSystemBinary(
  binary: SystemBinary,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const hint = `Install it with \`apt-get install ${binary.name}\` (Debian), or set ${binary.variable} to a ${binary.name} binary.`;
  const fromEnv = env[binary.variable]?.trim();
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`${binary.variable}=${fromEnv} is not an executable file. ${hint}`);
  }
  if (isExecutable(binary.debianPath)) return binary.debianPath;
  try {
    const found = execFileSync('which', [binary.name], { encoding: 'utf8' }).trim();
    if (found && isExecutable(found)) return found;
  } catch {
    // `which` exits non-zero when there is none.
  }
  throw new Error(`No ${binary.name} found for ${binary.neededBy}. ${hint}`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
