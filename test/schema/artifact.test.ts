/**
 * `schema/schema.graphql` is generated from the code and committed: it must never be stale.
 */

import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import codegenConfig from '../../codegen.ts';
import { schema } from '../../schema/index.ts';
import { printSortedSchema } from '../../schema/print.ts';
import { WEBHOOK_TOPICS } from '../../src/upstream/wire.ts';

describe('schema artifact', () => {
  it('matches the schema built from the code (run `npm run codegen` and commit if not)', () => {
    const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(printSortedSchema(schema)).toBe(committed);
  });

  it('has every Featurebase topic, plus UNKNOWN', () => {
    const topic = schema.getType('WebhookTopic');
    const values =
      topic && 'getValues' in topic ? topic.getValues().map((value) => value.value) : [];
    expect(values).toHaveLength(29);
    expect([...values].sort()).toEqual([...WEBHOOK_TOPICS, 'UNKNOWN'].sort());
  });

  it('has typed documents that match the operations (run `npm run codegen` if not)', async () => {
    // `generate` is typed loosely (`any` among its results); this is what it returns here.
    const outputs: readonly { filename: string; content: string }[] = await generate(
      { ...codegenConfig, cwd: new URL('../../', import.meta.url).pathname, silent: true },
      false,
    );
    expect(outputs.map((output) => output.filename)).toEqual(['schema/generated/operations.ts']);
    for (const output of outputs) {
      const committed = readFileSync(new URL(`../../${output.filename}`, import.meta.url), 'utf8');
      expect(output.content, output.filename).toBe(committed);
    }
  });
});
