import { defineConfig } from 'vitest/config';

// Tests spawn real processes and count the test process's own fds and children, so each test
// file runs in its own forked worker and files run at most two at a time (the machines have 2 cores).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ first: fixtures run the package as users do (require('process-spawner')).
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
