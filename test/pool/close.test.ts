import { describe, expect, it } from 'vitest';
import { Pool, PoolClosedError } from '../../src/pool';
import { expectNoLeaks } from '../helpers/leaks';
import { livePids, nodeEcho, nodeWorker, pythonEcho } from '../helpers/pool-workers';

describe('close()', () => {
  it.each([
    ['Node', () => nodeEcho],
    ['Python', () => pythonEcho],
  ])('%s workers: SHUTDOWN_REQUEST, SHUTDOWN_ACK, exit 0', (_language, worker) =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...worker(), size: 3 });
      const exits: { exitCode: number | null; expected: boolean }[] = [];
      pool.on('exit', ({ exitCode, expected }) => exits.push({ exitCode, expected }));
      await pool.start();
      await pool.run('x');
      await pool.close();
      expect(exits).toEqual(Array(3).fill({ exitCode: 0, expected: true }));
      expect(pool.stats().workers.map((w) => w.state)).toEqual(['stopped', 'stopped', 'stopped']);
    }));

  it('lets running and queued tasks finish within drainTimeoutMs', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, shutdown: { drainTimeoutMs: 5000 } });
      await pool.start();
      const tasks = [pool.run('sleep:100'), pool.run('queued')];
      const closed = pool.close();
      await expect(pool.run('late')).rejects.toBeInstanceOf(PoolClosedError);
      expect((await Promise.all(tasks)).map(String)).toEqual(['sleep:100', 'queued']);
      await closed;
    }));

  it('rejects what is left after drainTimeoutMs with PoolClosedError, then SIGTERMs a worker that sends no ack', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, shutdown: { drainTimeoutMs: 50, ackTimeoutMs: 100, termTimeoutMs: 2000 } });
      const exits: (string | null)[] = [];
      pool.on('exit', ({ signal }) => exits.push(signal));
      await pool.start();
      const running = pool.run('sleep:60000').catch((error: unknown) => error);
      const queued = pool.run('queued').catch((error: unknown) => error);
      await pool.close();
      expect(await running).toBeInstanceOf(PoolClosedError);
      expect(await queued).toMatchObject({ code: 'ERR_POOL_CLOSED' });
      // The worker was still in its task, so it never read SHUTDOWN_REQUEST: SIGTERM ended it.
      expect(exits).toEqual(['SIGTERM']);
    }));

  it('SIGKILLs a worker that ignores SHUTDOWN_REQUEST and SIGTERM, within the ladder', () =>
    expectNoLeaks(async () => {
      const stderr: string[] = [];
      const pool = new Pool({
        ...nodeWorker('pool-raw-worker.mjs', 'stubborn'),
        size: 2,
        shutdown: { drainTimeoutMs: 100, ackTimeoutMs: 100, termTimeoutMs: 100 },
        stderr: (line) => stderr.push(line),
      });
      const exits: (string | null)[] = [];
      pool.on('exit', ({ signal }) => exits.push(signal));
      await pool.start();
      expect((await pool.run('hello')).toString()).toBe('hello');
      const pids = livePids(pool);
      await pool.close();
      expect(exits).toEqual(['SIGKILL', 'SIGKILL']);
      expect(stderr).toEqual(['stubborn worker: ignoring SIGTERM', 'stubborn worker: ignoring SIGTERM']);
      expect(pids).toHaveLength(2);
    }), 100 + 100 + 100 + 1000 + 1000);

  it('kill() ends a pending close() at once: every worker SIGKILLed, no ladder left to wait for', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({
        ...nodeWorker('pool-raw-worker.mjs', 'stubborn'),
        size: 2,
        shutdown: { drainTimeoutMs: 60_000, ackTimeoutMs: 60_000, termTimeoutMs: 60_000 },
        stderr: 'ignore',
      });
      const exits: (string | null)[] = [];
      pool.on('exit', ({ signal }) => exits.push(signal));
      await pool.start();
      const running = pool.run('never answered').catch((error: unknown) => error);
      const closed = pool.close();
      pool.kill();
      await closed;
      expect(exits).toEqual(['SIGKILL', 'SIGKILL']);
      expect(await running).toBeInstanceOf(Error);
      expect(pool.stats().workers.map((w) => w.state)).toEqual(['stopped', 'stopped']);
    }), 10_000);

  it('is idempotent, and works before start()', () =>
    expectNoLeaks(async () => {
      const unstarted = new Pool({ ...nodeEcho, size: 1 });
      await unstarted.close();
      await expect(unstarted.start()).rejects.toBeInstanceOf(PoolClosedError);

      const pool = new Pool({ ...nodeEcho, size: 1 });
      await pool.start();
      const first = pool.close();
      expect(pool.close()).toBe(first);
      await first;
      await expect(pool.run('x')).rejects.toBeInstanceOf(PoolClosedError);
    }));

  it('during start(): start() rejects and every worker is gone', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeWorker('pool-raw-worker.mjs', 'silent'), size: 2, readyTimeoutMs: 60_000, shutdown: { ackTimeoutMs: 50, termTimeoutMs: 50 } });
      const started = pool.start();
      const closed = pool.close();
      await expect(started).rejects.toBeInstanceOf(PoolClosedError);
      await closed;
    }));
});
