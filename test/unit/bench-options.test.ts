/**
 * The bench measures the gateway as `npm run start:prod` runs it: the Node flags come from
 * package.json, and the override is checked before anything starts.
 */

import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from '../../scripts/bench/options.ts';
import { productionNodeFlags } from '../../scripts/bench/production-flags.ts';

describe('bench options', () => {
  it("reads the gateway's Node flags from the start:prod script", () => {
    const flags = productionNodeFlags();
    expect(flags).toContain('--enable-source-maps');
    expect(flags.some((flag) => flag.startsWith('--max-old-space-size='))).toBe(true);
  });

  it('uses those flags unless --node-flags says otherwise', () => {
    expect(parseOptions([], {})).toMatchObject({ gatewayNodeFlags: undefined });
    expect(parseOptions(['--node-flags=--max-semi-space-size=4'], {})).toMatchObject({
      gatewayNodeFlags: ['--max-semi-space-size=4'],
    });
    expect(parseOptions(['--node-flags='], {})).toMatchObject({ gatewayNodeFlags: [] });
  });

  it('refuses a --node-flags word that is not a flag', () => {
    expect(() => parseOptions(['--node-flags=--x; rm -rf /'], {})).toThrow(UsageError);
  });
});
