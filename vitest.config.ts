import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * Tests that measure latency under load, or time real processes, run in a second pass, alone
 * (`vitest.timing.config.ts`): sharing two cores with the other test files would measure the
 * machine, not the gateway. Browser tests too: Chromium is heavy enough to starve the parallel
 * pass (and be starved by it). `npm test` runs both passes.
 */
export const TIMING_TESTS = [
  'test/faults/load.test.ts',
  'test/faults/process.test.ts',
  'test/hostile/fairness.test.ts',
  'test/hostile/survival.test.ts',
  'test/state/outage.test.ts',
  'test/e2e/**/*.test.ts',
  'test/browser/**/*.test.ts',
];

export default defineConfig({
  resolve: {
    // graphql@16 ships CommonJS (`main`) and ESM (`module`) builds. Node, and so Yoga at run time,
    // loads the CommonJS one; without this alias Vite would give our code the other copy, and
    // the two copies' classes (GraphQLError, scalars) would not be the same.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...TIMING_TESTS],
    // Every test binds to 127.0.0.1 on port 0; files run in parallel in separate workers.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
