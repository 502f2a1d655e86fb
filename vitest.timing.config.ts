import { defineConfig } from 'vitest/config';
import base, { TIMING_TESTS } from './vitest.config.ts';

/** The second pass of `npm test`: the timing-sensitive files, one at a time. */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: TIMING_TESTS,
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
  },
});
