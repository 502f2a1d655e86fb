/**
 * `npm run schema:check`: fails when `schema/schema.graphql` is stale, when the code breaks the
 * schema committed at HEAD, or when a commit broke the committed schema without a
 * `Schema-Breaking-Change:` trailer for each breaking change. See `scripts/schema-diff.ts`.
 */

import { fileURLToPath } from 'node:url';
import { schema } from '../schema/index.ts';
import { printSortedSchema } from '../schema/print.ts';
import { checkRepository, formatResult } from './schema-diff.ts';

const result = await checkRepository({
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  currentSdl: printSortedSchema(schema),
});
process.stdout.write(formatResult(result));
process.exitCode = result.ok ? 0 : 1;
