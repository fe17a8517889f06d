import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool, PoolError, WorkerExitError } from '../../src/pool';
import { buildCProgram, createBuildDirectory } from '../helpers/build-c-worker';
import { eventually, expectNoLeaks } from '../helpers/leaks';
import { expectFullSize, livePids, nodeEcho, pythonEcho, sleep } from '../helpers/pool-workers';

const buildDirectory = createBuildDirectory();
let cEcho = { command: '', args: [] as string[] };

beforeAll(() => {
  cEcho = { command: buildCProgram('echo_worker', buildDirectory), args: [] };
});
afterAll(() => rmSync(buildDirectory, { recursive: true, force: true }));

// Fast restarts, and no crash-loop verdict from the crashes these tests cause on purpose.
const recovery = { restartBackoff: { initialMs: 20, maxMs: 200 }, crashLoop: { maxCrashes: 1000, windowMs: 1000 } };

describe('a worker that dies under a task', () => {
  it.each([
    ['Node', () => nodeEcho],
    ['C', () => cEcho],
    ['Python', () => pythonEcho],
  ])('%s: the task rejects with WorkerExitError and the worker is replaced', (_language, worker) =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...worker(), size: 2, ...recovery });
      const crashes: unknown[] = [];
      pool.on('crash', (crash) => crashes.push(crash));
      await pool.start();
      const before = livePids(pool);
      const error = await pool.run('crash').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WorkerExitError);
      expect(error).toMatchObject({ code: 'ERR_POOL_WORKER_EXIT', signal: 'SIGABRT', exitCode: null, attempts: 1 });
      expect(before).toContain((error as WorkerExitError).pid);
      expect(crashes).toEqual([expect.objectContaining({ signal: 'SIGABRT', reason: 'exit', state: 'busy' })]);
      await expectFullSize(pool);
      expect(livePids(pool)).not.toContain((error as WorkerExitError).pid);
      expect(pool.stats()).toMatchObject({ crashed: 1, respawned: 1, failed: 1 });
      expect((await pool.run('still works')).toString()).toBe('still works');
      await pool.close();
    }),
  );

  it('retries the task on another worker while its budget lasts', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 2, retries: 1, retryBackoffMs: 10, ...recovery });
      await pool.start();
      const running = pool.run('sleep:300');
      await sleep(100);
      const victim = pool.stats().workers.find((worker) => worker.state === 'busy');
      process.kill(victim?.pid as number, 'SIGKILL');
      expect((await running).toString()).toBe('sleep:300');
      expect(pool.stats()).toMatchObject({ completed: 1, failed: 0, crashed: 1 });
      await expectFullSize(pool);
      await pool.close();
    }));

  it('never retries a task that kills every worker forever: retries + 1 attempts, then WorkerExitError', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 2, retries: 2, ...recovery });
      let spawned = 0;
      pool.on('spawn', () => spawned++);
      await pool.start();
      const error = await pool.run('crash').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WorkerExitError);
      expect(error).toMatchObject({ attempts: 3, signal: 'SIGABRT' });
      expect(pool.stats().crashed).toBe(3);
      await expectFullSize(pool);
      expect(spawned).toBe(2 + 3);
      await pool.close();
    }));

  it('replaces a worker that dies while idle', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...cEcho, size: 3, ...recovery });
      await pool.start();
      const [first] = livePids(pool);
      process.kill(first as number, 'SIGKILL');
      // Until the pool has seen the exit, the killed worker still counts as one of its own.
      await eventually(() => expect(livePids(pool)).not.toContain(first));
      await expectFullSize(pool);
      expect(pool.stats().workers.find((worker) => worker.lastExit?.pid === first)).toMatchObject({
        restarts: 1,
        lastExit: { signal: 'SIGKILL', exitCode: null },
      });
      await pool.close();
    }));
});

describe('SIGKILL of random workers during 200 tasks, retries: 2', () => {
  it.each([
    ['Node', () => nodeEcho],
    ['C', () => cEcho],
  ])('%s: every task settles with its result or a typed error, and the pool is back to full size', (_language, worker) =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...worker(), size: 4, retries: 2, ...recovery });
      await pool.start();
      const payloads = Array.from({ length: 200 }, (_, index) => `sleep:${index % 5}`);
      const tasks = payloads.map((payload) => pool.run(payload));
      // A bounded number of kills, of busy workers: a killer faster than a Node worker boots
      // would otherwise leave no worker alive long enough to serve.
      let kills = 0;
      const killer = setInterval(() => {
        const pids = pool.stats().workers.filter((w) => w.state === 'busy').map((w) => w.pid as number);
        const pid = pids[Math.floor(Math.random() * pids.length)];
        if (pid === undefined || kills >= 15) return;
        try {
          process.kill(pid, 'SIGKILL');
          kills++;
        } catch {
          // Already gone.
        }
      }, 40);
      const settled = await Promise.allSettled(tasks);
      clearInterval(killer);
      expect(kills).toBeGreaterThan(0);
      settled.forEach((outcome, index) => {
        if (outcome.status === 'fulfilled') expect(outcome.value.toString()).toBe(payloads[index]);
        else expect(outcome.reason).toBeInstanceOf(PoolError);
      });
      const stats = pool.stats();
      expect(stats.completed + stats.failed).toBe(200);
      await expectFullSize(pool);
      await pool.close();
    }), 20_000);
});
