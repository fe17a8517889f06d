import { getEventListeners } from 'node:events';
import { expect, it } from 'vitest';
import { AbortError, Pool } from '../../src/pool';
import { expectNoLeaks } from '../helpers/leaks';
import { expectFullSize, livePids, nodeEcho } from '../helpers/pool-workers';

it('aborting a queued task removes it from the queue; it never runs', () =>
  expectNoLeaks(async () => {
    const pool = new Pool({ ...nodeEcho, size: 1 });
    await pool.start();
    const [pid] = livePids(pool);
    const controller = new AbortController();
    const running = pool.run('sleep:100');
    const queued = pool.run('queued', { signal: controller.signal });
    const after = pool.run('after');
    expect(pool.stats().queued).toBe(2);
    controller.abort(new Error('changed my mind'));
    const error = await queued.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'changed my mind' } });
    expect(pool.stats().queued).toBe(1);
    expect((await running).toString()).toBe('sleep:100');
    expect((await after).toString()).toBe('after');
    expect(pool.stats().workers[0]?.tasksDone).toBe(2);
    expect(livePids(pool)).toEqual([pid]);
    await pool.close();
  }));

it('aborting a running task kills its worker, which is replaced', () =>
  expectNoLeaks(async () => {
    const pool = new Pool({ ...nodeEcho, size: 1 });
    const exits: { signal: string | null; expected: boolean }[] = [];
    pool.on('exit', ({ signal, expected }) => exits.push({ signal, expected }));
    await pool.start();
    const [pid] = livePids(pool);
    const controller = new AbortController();
    const running = pool.run('sleep:60000', { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(running).rejects.toBeInstanceOf(AbortError);
    await expectFullSize(pool);
    expect(livePids(pool)).not.toContain(pid);
    expect(exits).toEqual([{ signal: 'SIGKILL', expected: true }]);
    expect(pool.stats()).toMatchObject({ crashed: 0, respawned: 1 });
    expect((await pool.run('next')).toString()).toBe('next');
    await pool.close();
  }));

it('an already aborted signal rejects at once; a settled task lets go of its signal', () =>
  expectNoLeaks(async () => {
    const pool = new Pool({ ...nodeEcho, size: 1 });
    await pool.start();
    await expect(pool.run('x', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    const controller = new AbortController();
    await pool.run('y', { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort();
    expect(pool.stats()).toMatchObject({ completed: 1, respawned: 0 });
    await pool.close();
  }));
