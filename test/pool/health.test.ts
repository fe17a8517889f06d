// Health and start failures: what enters the crash-loop window, when the pool is degraded, and
// when it recovers (docs/pool.md, "Health, start failures and degraded").
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Pool, type WorkerCrashEvent } from '../../src/pool';
import { eventually, expectNoLeaks } from '../helpers/leaks';
import { expectFullSize, livePids, nodeEcho, nodeWorker, sleep } from '../helpers/pool-workers';

let directory = '';
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'pool-health-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

/** A gated worker (test/fixtures/pool-gated-worker.mjs) whose gate file is in the test's directory. */
function gatedWorker(): { command: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv; stderr: 'ignore' } {
  return { ...nodeWorker('pool-gated-worker.mjs'), cwd: directory, env: { ...process.env, GATE_FILE: 'gate' }, stderr: 'ignore' };
}

/** Kills the first serving worker and waits for its replacement to be serving. */
async function killOne(pool: Pool, signal: NodeJS.Signals): Promise<void> {
  const [pid] = livePids(pool);
  process.kill(pid as number, signal);
  await eventually(() => expect(livePids(pool)).not.toContain(pid));
  await expectFullSize(pool);
}

/** Shuts the gate, so that no new worker can start, kills the serving one, and waits for 'degraded'. */
async function shutGateAndKill(pool: Pool): Promise<void> {
  rmSync(join(directory, 'gate'));
  const degraded = new Promise((resolve) => pool.once('degraded', resolve));
  process.kill(livePids(pool)[0] as number, 'SIGKILL');
  await degraded;
}

describe('healthy workers', () => {
  it('a worker is healthy once it answers a task, not on WORKER_READY', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, heartbeatIntervalMs: 0, healthyAfterMs: 60_000 });
      const healthy: number[] = [];
      pool.on('healthy', ({ pid }) => healthy.push(pid));
      await pool.start();
      expect(pool.stats().workers[0]?.healthy).toBe(false);
      await pool.run('x');
      expect(healthy).toEqual(livePids(pool));
      expect(pool.stats().workers[0]?.healthy).toBe(true);
      await pool.close();
    }));

  it('or once it answers a heartbeat, or once it has stayed up healthyAfterMs', () =>
    expectNoLeaks(async () => {
      const pinged = new Pool({ ...nodeEcho, size: 1, heartbeatIntervalMs: 50, healthyAfterMs: 60_000 });
      const idle = new Pool({ ...nodeEcho, size: 1, heartbeatIntervalMs: 0, healthyAfterMs: 100 });
      const healthy = Promise.all([pinged, idle].map((pool) => new Promise((resolve) => pool.once('healthy', resolve))));
      await Promise.all([pinged.start(), idle.start()]);
      await healthy;
      expect(pinged.stats().completed + idle.stats().completed).toBe(0);
      await Promise.all([pinged.close(), idle.close()]);
    }));

  it('the death of a healthy worker, by any signal, is a crash that never counts toward degraded, and is replaced at once', () =>
    expectNoLeaks(async () => {
      // One start failure would be enough to degrade, and a failed slot would wait 60 s.
      const pool = new Pool({ ...nodeEcho, size: 2, crashLoop: { maxCrashes: 1 }, restartBackoff: { initialMs: 60_000, maxMs: 60_000 } });
      const crashes: WorkerCrashEvent[] = [];
      pool.on('crash', (crash) => crashes.push(crash));
      await pool.start();
      for (const signal of ['SIGKILL', 'SIGTERM', 'SIGSEGV', 'SIGKILL'] as const) {
        await Promise.all([pool.run('a'), pool.run('b')]);
        await killOne(pool, signal);
      }
      expect(crashes.map(({ signal, startFailure }) => [signal, startFailure])).toEqual([
        ['SIGKILL', false],
        ['SIGTERM', false],
        ['SIGSEGV', false],
        ['SIGKILL', false],
      ]);
      expect(pool.stats()).toMatchObject({ degraded: false, crashed: 4, startFailures: 0, respawned: 4 });
      await pool.close();
    }));

  it('a worker killed after READY but before it became healthy is a start failure', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, heartbeatIntervalMs: 0, healthyAfterMs: 60_000, restartBackoff: { initialMs: 10, maxMs: 10 } });
      const crash = new Promise<WorkerCrashEvent>((resolve) => pool.once('crash', resolve));
      await pool.start();
      process.kill(livePids(pool)[0] as number, 'SIGKILL');
      expect(await crash).toMatchObject({ signal: 'SIGKILL', state: 'idle', startFailure: true });
      await expectFullSize(pool);
      expect(pool.stats()).toMatchObject({ crashed: 1, startFailures: 1, degraded: false });
      await pool.close();
    }));
});

describe('the crash-loop window', () => {
  it('trips AT the maxCrashes-th start failure within windowMs, not at the one before or after', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...gatedWorker(), size: 1, restartBackoff: { initialMs: 10, maxMs: 10 }, crashLoop: { maxCrashes: 3, windowMs: 60_000 } });
      writeFileSync(join(directory, 'gate'), '');
      const seen: string[] = [];
      pool.on('crash', ({ startFailure }) => seen.push(startFailure ? 'start failure' : 'crash'));
      pool.on('degraded', ({ crashes }) => seen.push(`degraded ${crashes}`));
      await pool.start();
      await pool.run('healthy now');
      await shutGateAndKill(pool);
      expect(seen).toEqual(['crash', 'start failure', 'start failure', 'start failure', 'degraded 3']);
      writeFileSync(join(directory, 'gate'), '');
      await pool.close();
    }));

  it('start failures age out of the window: spaced wider than windowMs they never degrade the pool', () =>
    expectNoLeaks(async () => {
      // A failed start every ~100 ms (the backoff), and a window of 50 ms: never 2 in it.
      const pool = new Pool({ ...gatedWorker(), size: 1, restartBackoff: { initialMs: 100, maxMs: 100 }, crashLoop: { maxCrashes: 2, windowMs: 50 } });
      writeFileSync(join(directory, 'gate'), '');
      let startFailures = 0;
      let degraded = 0;
      pool.on('crash', ({ startFailure }) => startFailure && startFailures++);
      pool.on('degraded', () => degraded++);
      await pool.start();
      rmSync(join(directory, 'gate'));
      process.kill(livePids(pool)[0] as number, 'SIGKILL');
      await eventually(() => expect(startFailures).toBeGreaterThanOrEqual(4), 5000);
      expect(degraded).toBe(0);
      writeFileSync(join(directory, 'gate'), '');
      await pool.close();
    }));

  it('fatalSignals: deaths of healthy workers by SIGABRT, SIGSEGV ... count too; SIGKILL and SIGTERM never do', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 2, crashLoop: { maxCrashes: 2, fatalSignals: true } });
      const degraded = new Promise((resolve) => pool.once('degraded', resolve));
      await pool.start();
      for (const signal of ['SIGKILL', 'SIGTERM', 'SIGKILL'] as const) {
        await Promise.all([pool.run('a'), pool.run('b')]);
        await killOne(pool, signal);
      }
      expect(pool.degraded).toBe(false);
      await Promise.all([pool.run('a'), pool.run('b')]);
      await expect(pool.run('crash')).rejects.toMatchObject({ signal: 'SIGABRT' });
      expect(pool.degraded).toBe(false);
      await expectFullSize(pool);
      await Promise.all([pool.run('a'), pool.run('b')]);
      await expect(pool.run('crash')).rejects.toMatchObject({ signal: 'SIGABRT' });
      expect(await degraded).toMatchObject({ crashes: 2 });
      // Degraded, but workers are serving: tasks still run, and the first healthy worker recovers it.
      await expectFullSize(pool);
      const recovered = new Promise<void>((resolve) => pool.once('recovered', () => resolve()));
      await Promise.all([pool.run('a'), pool.run('b')]);
      await recovered;
      expect(pool.degraded).toBe(false);
      await pool.close();
    }));

  it('without fatalSignals (the default) SIGABRT deaths of healthy workers do not count', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, crashLoop: { maxCrashes: 1 } });
      await pool.start();
      for (let round = 0; round < 3; round++) {
        await pool.run('healthy');
        await expect(pool.run('crash')).rejects.toMatchObject({ signal: 'SIGABRT' });
        await expectFullSize(pool);
      }
      expect(pool.stats()).toMatchObject({ degraded: false, crashed: 3, startFailures: 0 });
      await pool.close();
    }));
});

describe('degraded', () => {
  it('queued tasks wait while a slot can still start a worker (its last one was killed from outside before READY)', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, heartbeatIntervalMs: 0, crashLoop: { maxCrashes: 1 }, restartBackoff: { initialMs: 10, maxMs: 10 } });
      await pool.start();
      await pool.run('healthy');
      const running = pool.run('sleep:60000').catch((error: unknown) => error);
      const queued = pool.run('queued');
      const degraded = new Promise((resolve) => pool.once('degraded', resolve));
      // The healthy worker dies (not a start failure); its replacement is killed before READY.
      process.kill(livePids(pool)[0] as number, 'SIGKILL');
      const respawned = new Promise<number>((resolve) => pool.once('respawn', ({ pid }) => resolve(pid)));
      process.kill(await respawned, 'SIGKILL');
      await degraded;
      expect(await running).toMatchObject({ name: 'WorkerExitError', signal: 'SIGKILL' });
      expect(pool.stats()).toMatchObject({ queued: 1, idle: 0, busy: 0 });
      // The next worker starts and serves them; answering one makes it healthy: recovered.
      const recovered = new Promise<void>((resolve) => pool.once('recovered', () => resolve()));
      expect((await queued).toString()).toBe('queued');
      await recovered;
      expect(pool.degraded).toBe(false);
      await pool.close();
    }));

  it('recovered fires when a worker becomes healthy, not on its WORKER_READY', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...gatedWorker(), size: 1, heartbeatIntervalMs: 0, healthyAfterMs: 60_000, restartBackoff: { initialMs: 10, maxMs: 50 }, crashLoop: { maxCrashes: 2 } });
      writeFileSync(join(directory, 'gate'), '');
      const events: string[] = [];
      await pool.start();
      await pool.run('healthy');
      await shutGateAndKill(pool);
      await expect(pool.run('refused')).rejects.toMatchObject({ code: 'ERR_POOL_DEGRADED' });
      pool.on('ready', () => events.push('ready'));
      pool.on('recovered', () => events.push('recovered'));
      writeFileSync(join(directory, 'gate'), '');
      await new Promise((resolve) => pool.once('ready', resolve));
      await sleep(50);
      expect(events).toEqual(['ready']);
      expect(pool.degraded).toBe(true);
      expect((await pool.run('accepted: a worker is serving')).toString()).toBe('accepted: a worker is serving');
      expect(events).toEqual(['ready', 'recovered']);
      await pool.close();
    }));
});
