import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every test binds to 127.0.0.1 on port 0; files run in parallel in separate workers.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
