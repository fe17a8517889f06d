import { describe, expect, it } from 'vitest';
import { Pool, ProtocolError, TaskTimeoutError, type TimeoutEvent } from '../../src/pool';
import { expectNoLeaks } from '../helpers/leaks';
import { expectFullSize, livePids, nodeEcho, nodeWorker, pythonEcho, sleep } from '../helpers/pool-workers';

describe('task timeouts', () => {
  it.each([
    ['Node', () => nodeEcho],
    ['Python', () => pythonEcho],
  ])('%s: a hanging task rejects with TaskTimeoutError, its worker is SIGKILLed and replaced', (_language, worker) =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...worker(), size: 2, taskTimeoutMs: 150 });
      const timeouts: TimeoutEvent[] = [];
      const exits: { signal: string | null; expected: boolean }[] = [];
      pool.on('timeout', (event) => timeouts.push(event));
      pool.on('exit', ({ signal, expected }) => exits.push({ signal, expected }));
      await pool.start();
      const error = await pool.run('sleep:60000').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect(error).toMatchObject({ code: 'ERR_POOL_TASK_TIMEOUT', timeoutMs: 150 });
      const { pid } = error as TaskTimeoutError;
      expect(timeouts).toEqual([{ workerId: (error as TaskTimeoutError).workerId, pid, kind: 'task' }]);
      await expectFullSize(pool);
      expect(livePids(pool)).not.toContain(pid);
      expect(exits).toEqual([{ signal: 'SIGKILL', expected: true }]);
      // A timeout is the task's fault, not a crash of the worker.
      expect(pool.stats()).toMatchObject({ crashed: 0, respawned: 1 });
      await pool.close();
    }),
  );

  it('a per-run timeoutMs overrides the pool default, and quick tasks are unaffected', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, taskTimeoutMs: 5000 });
      await pool.start();
      await expect(pool.run('sleep:5000', { timeoutMs: 100 })).rejects.toBeInstanceOf(TaskTimeoutError);
      const results = await Promise.all(Array.from({ length: 20 }, (_, index) => pool.run(`quick ${index}`, { timeoutMs: 2000 })));
      expect(results).toHaveLength(20);
      await pool.close();
    }));

  it('a timed-out task is not retried, but the tasks queued behind it run', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, retries: 3 });
      await pool.start();
      const hanging = pool.run('sleep:60000', { timeoutMs: 100 });
      const next = pool.run('next');
      await expect(hanging).rejects.toMatchObject({ name: 'TaskTimeoutError' });
      expect((await next).toString()).toBe('next');
      await pool.close();
    }));
});

describe('heartbeats', () => {
  it('a worker that answers no STATUS_QUERY is killed and replaced', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeWorker('pool-raw-worker.mjs', 'deaf'), size: 1, heartbeatIntervalMs: 50, heartbeatTimeoutMs: 100 });
      const timeouts: TimeoutEvent[] = [];
      pool.on('timeout', (event) => timeouts.push(event));
      await pool.start();
      const [first] = livePids(pool);
      const crash = new Promise((resolve) => pool.once('crash', resolve));
      expect(await crash).toMatchObject({ pid: first, signal: 'SIGKILL', reason: 'heartbeat' });
      expect(timeouts[0]).toEqual({ workerId: 0, pid: first, kind: 'heartbeat' });
      await expectFullSize(pool);
      await pool.close();
    }));

  it('healthy workers answer their pings and are left alone', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...pythonEcho, size: 2, heartbeatIntervalMs: 20, heartbeatTimeoutMs: 500 });
      await pool.start();
      const before = livePids(pool);
      for (let round = 0; round < 5; round++) {
        await pool.run(`between pings ${round}`);
        await sleep(60);
      }
      expect(livePids(pool)).toEqual(before);
      expect(pool.stats()).toMatchObject({ crashed: 0, respawned: 0 });
      await pool.close();
    }));
});

describe('protocol violations', () => {
  it('stray bytes on stdout: the task rejects with ProtocolError, the worker is replaced', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeWorker('pool-raw-worker.mjs', 'stray'), size: 1, restartBackoff: { initialMs: 10, maxMs: 100 } });
      await pool.start();
      const [first] = livePids(pool);
      const error = await pool.run('stray').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ code: 'ERR_POOL_PROTOCOL', pid: first, cause: { code: 'ERR_FRAME_TOO_LARGE' } });
      await expectFullSize(pool);
      expect(livePids(pool)).not.toContain(first);
      expect((await pool.run('fine')).toString()).toBe('fine');
      await pool.close();
    }));

  it('an answer with a sequence number no task has: ProtocolError, and the worker is replaced', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeWorker('pool-raw-worker.mjs', 'wrong-sequence'), size: 1, retries: 5 });
      const crashes: unknown[] = [];
      pool.on('crash', (crash) => crashes.push(crash));
      await pool.start();
      const error = await pool.run('x').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as Error).message).toMatch(/answered sequence 1001, which no task has/);
      await expectFullSize(pool);
      expect(crashes).toEqual([expect.objectContaining({ reason: 'protocol', signal: 'SIGKILL' })]);
      await pool.close();
    }));
});
