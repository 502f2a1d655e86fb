/** `npm run codegen`, step 1: writes the schema artifact from the code. */

import { writeFileSync } from 'node:fs';
import { schema } from '../schema/index.ts';
import { printSortedSchema } from '../schema/print.ts';

const target = new URL('../schema/schema.graphql', import.meta.url);
writeFileSync(target, printSortedSchema(schema));
process.stdout.write(`wrote ${target.pathname}\n`);
