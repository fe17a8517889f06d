// Issue 11's kill storm: one SIGKILL every 50 ms for 3 s, each at a worker of a pool of 3 chosen
// at random (starting, idle or busy), while 500 tasks run with retries: 2 and every other option
// at its default. scripts/pool/kill-storm.mjs runs the same storm from the command line.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKillStorm } from '../../scripts/pool/storm.mjs';
import { Pool } from '../../src/pool';
import { buildCProgram, createBuildDirectory } from '../helpers/build-c-worker';
import { expectNoLeaks } from '../helpers/leaks';
import { nodeEcho } from '../helpers/pool-workers';

const buildDirectory = createBuildDirectory();
let cEcho = { command: '', args: [] as string[] };

beforeAll(() => {
  cEcho = { command: buildCProgram('echo_worker', buildDirectory), args: [] };
});
afterAll(() => rmSync(buildDirectory, { recursive: true, force: true }));

const TASKS = 500;
const KILL_EVERY_MS = 50;
const STORM_MS = 3000;

interface StormResult {
  fulfilled: number;
  kills: number;
  rejected: string[];
  healthyDeaths: number;
  startFailures: number;
}

async function killStorm(worker: { command: string; args: string[] }): Promise<StormResult> {
  const pool = new Pool({ ...worker, size: 3, retries: 2, stderr: 'ignore' });
  let healthyDeaths = 0;
  let startFailures = 0;
  pool.on('crash', ({ startFailure }) => (startFailure ? startFailures++ : healthyDeaths++));
  await pool.start();
  // 15 ms each, 3 at a time: the queue lasts as long as the storm.
  const tasks = Array.from({ length: TASKS }, (_, index) => pool.run(`sleep:15`).then(() => index));
  const storm = startKillStorm(pool, { intervalMs: KILL_EVERY_MS, stormMs: STORM_MS });
  const settled = await Promise.allSettled(tasks);
  const kills = storm.stop();
  await pool.close();
  const rejected = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [(outcome.reason as Error).name] : []));
  return { fulfilled: TASKS - rejected.length, kills, rejected, healthyDeaths, startFailures };
}

describe('a kill storm on a pool of 3 with retries: 2 and the default crashLoop', () => {
  it('C workers (ready within a millisecond): at least 495 of 500 tasks fulfilled, none refused as degraded', () =>
    expectNoLeaks(async () => {
      const result = await killStorm(cEcho);
      expect(result.kills).toBeGreaterThanOrEqual(40);
      expect(result.fulfilled, `rejected: ${result.rejected.join(', ')}`).toBeGreaterThanOrEqual(495);
      // Nothing is refused as degraded: only a task killed under it three times may fail.
      expect(result.rejected.filter((name) => name !== 'WorkerExitError')).toEqual([]);
      expect(result.healthyDeaths).toBeGreaterThan(0);
    }), 30_000);

  it('Node workers (slow to start, so many die before READY): at least 495 of 500 fulfilled', () =>
    expectNoLeaks(async () => {
      const result = await killStorm(nodeEcho);
      expect(result.kills).toBeGreaterThan(5);
      expect(result.fulfilled, `rejected: ${result.rejected.join(', ')}`).toBeGreaterThanOrEqual(495);
      expect(result.rejected.filter((name) => name !== 'WorkerExitError')).toEqual([]);
    }), 30_000);
});
