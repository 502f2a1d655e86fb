/**
 * `npm run simulator`: the Featurebase simulator alone, seeded, for other tools to point at.
 * Besides `src/config.ts`, the only reader of `process.env` (PORT, HOST).
 */

import { DEMO_API_KEY } from './seed.ts';
import { startSimulator } from './server.ts';

const { PORT = '4010', HOST: host = '127.0.0.1' } = process.env;
const port = /^\d+$/.test(PORT) ? Number(PORT) : Number.NaN;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('PORT must be an integer from 0 to 65535\n');
  process.exit(1);
}

const running = await startSimulator({ host, port, seed: true });
// The demo key is fake and public; printing it is the point. Nothing else is ever printed.
process.stdout.write(`Featurebase simulator on ${running.url} (demo API key: ${DEMO_API_KEY})\n`);

const stop = (): void => {
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
