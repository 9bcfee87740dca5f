import { defineConfig } from 'vitest/config';

// One run for the whole repository: every test file makes its own database, so files run in
// parallel across workers. `npm test` runs this; packages' `test` scripts filter it by path.
export default defineConfig({
  // graphql 16 ships CommonJS (`main`) and ESM (`module`). Node (and so every dependency) loads the
  // CommonJS build; without this, Vite would hand our own sources the ESM one, and two copies of
  // GraphQLError would break `instanceof` between our code and graphql-yoga's.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['{apps,packages,plugins,db}/*/src/**/*.test.ts', 'db/src/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    reporters: ['default', './test/utils/src/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // A poll waits for what a user would wait for (a page's next query, a run's next event). Its
    // default second is too short on a loaded 2-core machine (a filtered console query took longer
    // there once); the condition must still come true, only later.
    expect: { poll: { timeout: 10_000 } },
  },
});
