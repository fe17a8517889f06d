import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Pool, PoolDegradedError } from '../../src/pool';
import { expectNoLeaks } from '../helpers/leaks';
import { expectFullSize, livePids, nodeWorker, sleep } from '../helpers/pool-workers';

let directory = '';
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'pool-gate-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

it('a worker that exits at start: start failures alone degrade the pool; backoff, a bounded number of spawns, then recovery once fixed', () =>
  expectNoLeaks(async () => {
    const gate = join(directory, 'gate');
    writeFileSync(gate, '');
    const pool = new Pool({
      ...nodeWorker('pool-gated-worker.mjs'),
      size: 2,
      cwd: directory,
      env: { ...process.env, GATE_FILE: 'gate' },
      stderr: 'ignore',
      restartBackoff: { initialMs: 20, maxMs: 100 },
      crashLoop: { maxCrashes: 4, windowMs: 60_000 },
    });
    const events: string[] = [];
    let spawns = 0;
    pool.on('spawn', () => spawns++);
    pool.on('degraded', () => events.push('degraded'));
    pool.on('recovered', () => events.push('recovered'));
    await pool.start();
    expect((await pool.run('before')).toString()).toBe('before');

    // Break the command, then take the workers down: every restart now fails at start.
    rmSync(gate);
    const degraded = new Promise((resolve) => pool.once('degraded', resolve));
    for (const pid of livePids(pool)) process.kill(pid, 'SIGKILL');
    expect(await degraded).toEqual({ crashes: 4, windowMs: 60_000 });
    expect(pool.degraded).toBe(true);
    const refused = await pool.run('while degraded').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PoolDegradedError);
    expect(refused).toMatchObject({ code: 'ERR_POOL_DEGRADED' });

    // It never spins: a slot restarts at most once per maxMs once the backoff has grown.
    const spawnsBefore = spawns;
    await sleep(500);
    expect(spawns - spawnsBefore).toBeLessThanOrEqual(2 * (500 / 100 + 2));
    expect(spawns - spawnsBefore).toBeGreaterThan(0);
    expect(pool.stats().workers.every((worker) => worker.lastExit?.exitCode === 3 || worker.lastExit?.signal === 'SIGKILL')).toBe(true);

    // Fix the command: the next restarts work, tasks are accepted again as soon as a worker
    // serves, and the pool recovers when one proves healthy by answering.
    writeFileSync(gate, '');
    await expectFullSize(pool);
    expect(pool.degraded).toBe(true);
    expect((await pool.run('after')).toString()).toBe('after');
    expect(pool.degraded).toBe(false);
    expect(events).toEqual(['degraded', 'recovered']);
    await pool.close();
  }), 15_000);

it('tasks queued when the pool degrades with no worker left reject with PoolDegradedError', () =>
  expectNoLeaks(async () => {
    const gate = join(directory, 'gate');
    writeFileSync(gate, '');
    const pool = new Pool({
      ...nodeWorker('pool-gated-worker.mjs'),
      size: 1,
      cwd: directory,
      env: { ...process.env, GATE_FILE: 'gate' },
      stderr: 'ignore',
      restartBackoff: { initialMs: 10, maxMs: 50 },
      crashLoop: { maxCrashes: 2, windowMs: 60_000 },
    });
    await pool.start();
    rmSync(gate);
    const running = pool.run('sleep:60000');
    const queued = pool.run('queued');
    const [pid] = livePids(pool);
    process.kill(pid as number, 'SIGKILL');
    await expect(running).rejects.toMatchObject({ name: 'WorkerExitError', signal: 'SIGKILL' });
    await expect(queued).rejects.toBeInstanceOf(PoolDegradedError);
    await pool.close();
  }));
