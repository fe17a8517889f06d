// No fixed limit on the JavaScript threads that spawn: each has its own exit watcher and its own
// SIGCHLD self-pipe in a list without a bound (the 65th thread used to get EMFILE).
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../../helpers/leaks';

const THREADS = 80;

describe('many threads that spawn', () => {
  it(`${THREADS} worker_threads spawn at once, and each hears its children's exits`, () =>
    expectNoLeaks(async () => {
      const code = `
        const { parentPort, workerData } = require('node:worker_threads');
        const { spawn } = require('process-spawner');
        parentPort.once('message', async () => {
          const exits = await Promise.all([0, 1, 2].map((i) =>
            spawn('sh', ['-c', 'exit ' + ((workerData.index + i) % 7)], { stdio: 'ignore' }).exited));
          parentPort.postMessage(exits.map((exit) => exit.exitCode));
        });
        parentPort.postMessage('ready');`;
      const workers = Array.from({ length: THREADS }, (_, index) => new Worker(code, { eval: true, workerData: { index } }));
      try {
        // Every thread alive (and its addon loaded) before any spawns.
        await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))));
        const results = await Promise.all(
          workers.map((worker) => {
            const codes = new Promise<number[]>((resolve, reject) => {
              worker.once('message', resolve);
              worker.once('error', reject);
            });
            worker.postMessage('go');
            return codes;
          }),
        );
        results.forEach((codes, index) => expect(codes).toEqual([0, 1, 2].map((i) => (index + i) % 7)));
      } finally {
        await Promise.all(workers.map((worker) => worker.terminate()));
      }
    }), 60_000);
});
