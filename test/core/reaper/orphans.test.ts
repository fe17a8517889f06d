// A finished worker_thread's children are reaped within a bound, even once child_process has
// replaced our SIGCHLD handler and no thread of ours has children of its own.
import childProcess from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks, readProcStat } from '../../helpers/leaks';

const BOUND_MS = 1000;
const SLEEP_SECONDS = 0.2;

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function stillOurs(pids: number[]): number[] {
  return pids.filter((pid) => readProcStat(pid)?.ppid === process.pid);
}

async function orphansOfAWorker(spawnMethod: string, count: number): Promise<number[]> {
  const worker = new Worker(path.join(__dirname, 'fixtures', 'orphans-in-worker.js'), {
    workerData: { count, seconds: SLEEP_SECONDS, spawnMethod },
  });
  const pids = await new Promise<number[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  return pids;
}

describe('children of a worker_thread that has ended', () => {
  for (const spawnMethod of ['fork', 'vfork']) {
    it(`are reaped within ${BOUND_MS} ms of their exit while child_process holds SIGCHLD (${spawnMethod})`, () =>
      expectNoLeaks(async () => {
        const pids = await orphansOfAWorker(spawnMethod, 50);
        const ended = Date.now() + SLEEP_SECONDS * 1000;
        // libuv installs its handler, without chaining ours, and keeps it while its child runs.
        const theirs = childProcess.spawn('sleep', ['3'], { stdio: 'ignore' });
        let left = stillOurs(pids);
        while (left.length > 0 && Date.now() < ended + BOUND_MS) {
          await sleepMs(20);
          left = stillOurs(pids);
        }
        expect(left.map((pid) => readProcStat(pid))).toEqual([]);
        const exited = new Promise((resolve) => theirs.once('exit', resolve));
        theirs.kill();
        await exited;
      }));
  }
});
