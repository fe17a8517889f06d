import { defineConfig } from 'vitest/config';

// The files whose tests spawn through the core; they run a second time with
// the plain fork as the default (PROCESS_SPAWNER_SPAWN_METHOD reaches fixtures and grandchildren too).
const SPAWN_TESTS = [
  'test/core/spawn.test.ts',
  'test/core/subprocess.test.ts',
  'test/core/reaper/reaper.test.ts',
  'test/core/process-settings.test.ts',
  'test/cli/index.test.ts',
  'test/child_process/node.test.ts',
  'test/child_process/exit-order.test.ts',
  'test/child_process/fork-eval.test.ts',
  'test/child_process/ipc-faults.test.ts',
  'test/child_process/handles.test.ts',
  'test/child_process/libraries.test.ts',
];

// Tests spawn real processes and count the test process's own fds and children, so each test
// file runs in its own forked worker and files run at most two at a time (the machines have 2 cores).
export default defineConfig({
  test: {
    // Builds dist/ first: fixtures run the package as users do (require('process-spawner')).
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'vfork', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'fork', include: SPAWN_TESTS, env: { PROCESS_SPAWNER_SPAWN_METHOD: 'fork' } },
      },
    ],
  },
});
