// Busy workers that stop making progress: heartbeats only go to idle workers, so a frame that
// never finishes and a worker stopped by a signal are caught by their own clocks.
import { describe, expect, it } from 'vitest';
import { Pool, ProtocolError, type TimeoutEvent, type WorkerCrashEvent } from '../../src/pool';
import { expectNoLeaks, readProcStat } from '../helpers/leaks';
import { expectFullSize, livePids, nodeEcho, nodeWorker, sleep } from '../helpers/pool-workers';

describe('frameTimeoutMs', () => {
  it('a frame begun and never finished (a plausible length, then silence) is a ProtocolError after frameTimeoutMs', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeWorker('pool-partial-frame-worker.mjs'), size: 1, frameTimeoutMs: 200 });
      const crash = new Promise<WorkerCrashEvent>((resolve) => pool.once('crash', resolve));
      await pool.start();
      const [stalled] = livePids(pool);
      const started = performance.now();
      const error = await pool.run('partial').catch((caught: unknown) => caught);
      const waited = performance.now() - started;
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as Error).message).toMatch(/began a frame more than 200 ms ago and sent only 10 bytes of it \(frameTimeoutMs\)/);
      expect(waited).toBeGreaterThanOrEqual(190);
      expect(waited).toBeLessThan(2000);
      expect(await crash).toMatchObject({ pid: stalled, reason: 'protocol', signal: 'SIGKILL' });
      await expectFullSize(pool);
      expect((await pool.run('whole frames are fine')).toString()).toBe('whole frames are fine');
      await pool.close();
    }));

  it('a large result that arrives over many reads within frameTimeoutMs is not cut short', () =>
    expectNoLeaks(async () => {
      // 16 MiB is hundreds of 64 KiB reads, and frameTimeoutMs times the whole frame: 3 s leaves
      // room for a loaded machine (24 MB/s was seen with the load average at 7).
      const pool = new Pool({ ...nodeEcho, size: 1, frameTimeoutMs: 3000 });
      try {
        await pool.start();
        const result = await pool.run(`big:${16 * 1024 * 1024}`);
        expect(result.length).toBe(16 * 1024 * 1024);
        expect(pool.stats()).toMatchObject({ crashed: 0 });
      } finally {
        await pool.close();
      }
    }));
});

describe('stopped workers', () => {
  it('a busy worker stopped by SIGSTOP is killed as hung after heartbeatTimeoutMs, and its task retried', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 2, heartbeatIntervalMs: 50, heartbeatTimeoutMs: 300, retries: 1 });
      const timeouts: TimeoutEvent[] = [];
      const crashes: WorkerCrashEvent[] = [];
      pool.on('timeout', (event) => timeouts.push(event));
      pool.on('crash', (crash) => crashes.push(crash));
      await pool.start();
      const running = pool.run('sleep:400');
      await sleep(20);
      const busy = pool.stats().workers.find((worker) => worker.state === 'busy');
      const pid = busy?.pid as number;
      process.kill(pid, 'SIGSTOP');
      const stoppedAt = performance.now();
      expect((await running).toString()).toBe('sleep:400');
      // Stopped for heartbeatTimeoutMs (checked every heartbeatIntervalMs), then the retry's 400 ms.
      expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(300 + 400 - 20);
      expect(timeouts).toEqual([{ workerId: busy?.id, pid, kind: 'heartbeat' }]);
      expect(crashes).toEqual([expect.objectContaining({ pid, reason: 'heartbeat', signal: 'SIGKILL', startFailure: false })]);
      await expectFullSize(pool);
      await pool.close();
    }));

  it('a worker stopped for less than heartbeatTimeoutMs and continued is left alone', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, heartbeatIntervalMs: 20, heartbeatTimeoutMs: 1000 });
      await pool.start();
      const [pid] = livePids(pool);
      const running = pool.run('sleep:100');
      await sleep(10);
      process.kill(pid as number, 'SIGSTOP');
      await sleep(200);
      expect(readProcStat(pid as number)?.state).toBe('T');
      process.kill(pid as number, 'SIGCONT');
      expect((await running).toString()).toBe('sleep:100');
      expect(livePids(pool)).toEqual([pid]);
      expect(pool.stats()).toMatchObject({ crashed: 0, respawned: 0 });
      await pool.close();
    }));

  it('an idle stopped worker misses its ping and is killed like a deaf one', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, heartbeatIntervalMs: 50, heartbeatTimeoutMs: 150 });
      await pool.start();
      const [pid] = livePids(pool);
      const crash = new Promise((resolve) => pool.once('crash', resolve));
      process.kill(pid as number, 'SIGSTOP');
      expect(await crash).toMatchObject({ pid, reason: 'heartbeat', signal: 'SIGKILL' });
      await expectFullSize(pool);
      await pool.close();
    }));
});
