/**
 * The memory budget (src/http/memory-budget.ts) adds up under the heap cap and the RSS target with
 * the shipped defaults, the cap is the one `npm run start:prod` uses, and the pieces that shed
 * load (src/http/load-shedding.ts) keep their counts.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_BOUNDS } from '../../src/graphql/literal-templates.ts';
import { SHAPE_VERDICT_BOUNDS } from '../../src/graphql/plugins/shape-validation-cache.ts';
import {
  DOCUMENT_CACHE_BOUNDS,
  PARSE_ERROR_CACHE_BOUNDS,
} from '../../src/graphql/query-text-cache.ts';
import { BodyMemory, InFlightLimit } from '../../src/http/load-shedding.ts';
import {
  DEFAULT_SERVER_LIMITS,
  HEAP_CAP_BYTES,
  RSS_TARGET_BYTES,
  worstCaseHeapBytes,
  worstCaseRssBytes,
} from '../../src/http/memory-budget.ts';

const DEFAULTS = {
  server: DEFAULT_SERVER_LIMITS,
  documentCacheBytes: DOCUMENT_CACHE_BOUNDS.maxBytes,
  parseErrorCacheBytes: PARSE_ERROR_CACHE_BOUNDS.maxBytes,
  shapeVerdictCacheBytes: SHAPE_VERDICT_BOUNDS.maxBytes,
  literalTemplateBytes: TEMPLATE_BOUNDS.maxBytes,
};

describe('the memory budget', () => {
  it('with the defaults, the worst case fits the heap cap with room for the collector', () => {
    expect(worstCaseHeapBytes(DEFAULTS)).toBeLessThanOrEqual(0.8 * HEAP_CAP_BYTES);
  });

  it('with the defaults, the whole process stays under the RSS target', () => {
    expect(worstCaseRssBytes(DEFAULTS)).toBeLessThan(RSS_TARGET_BYTES);
  });

  it('the heap cap is the one start:prod runs with', () => {
    const scripts = JSON.parse(readFileSync('package.json', 'utf8')).scripts as Record<
      string,
      string
    >;
    const flag = /--max-old-space-size=(\d+)/.exec(scripts['start:prod'] ?? '')?.[1];
    expect(Number(flag) * 1024 * 1024).toBe(HEAP_CAP_BYTES);
  });

  it('doubling the requests in flight would not fit: the limit is what keeps it', () => {
    const doubled = {
      ...DEFAULTS,
      server: {
        ...DEFAULT_SERVER_LIMITS,
        maxRequestsInFlight: 4 * DEFAULT_SERVER_LIMITS.maxRequestsInFlight,
      },
    };
    expect(worstCaseRssBytes(doubled)).toBeGreaterThan(RSS_TARGET_BYTES);
  });
});

describe('InFlightLimit', () => {
  it('admits up to its maximum, then refuses until one leaves', () => {
    const limit = new InFlightLimit(2);
    expect([limit.tryEnter(), limit.tryEnter(), limit.tryEnter()]).toEqual([true, true, false]);
    expect(limit.full).toBe(true);
    limit.leave();
    expect(limit.tryEnter()).toBe(true);
    limit.leave();
    limit.leave();
    limit.leave(); // one too many is harmless
    expect(limit.inFlight).toBe(0);
  });
});

describe('BodyMemory', () => {
  it('lets every body hold its free share, and takes the rest from the pool', () => {
    const memory = new BodyMemory(100, 250);
    expect(memory.grow(0, 100)).toBe(true);
    expect(memory.pooled).toBe(0);
    expect(memory.grow(100, 300)).toBe(true);
    expect(memory.pooled).toBe(200);
    expect(memory.grow(0, 200)).toBe(false); // 100 more would pass the pool's 250
    expect(memory.grow(0, 150)).toBe(true);
    expect(memory.pooled).toBe(250);
    memory.release(300);
    expect(memory.pooled).toBe(50);
    memory.release(150);
    expect(memory.pooled).toBe(0);
  });
});
