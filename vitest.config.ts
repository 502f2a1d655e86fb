import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql@16 ships CommonJS (`main`) and ESM (`module`) builds. Node, and so Yoga at run time,
    // loads the CommonJS one; without this alias Vite would give our code the other copy, and
    // the two copies' classes (GraphQLError, scalars) would not be the same.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Every test binds to 127.0.0.1 on port 0; files run in parallel in separate workers.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
