import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnError } from '../../src/core/errors';
import { Pool, QueueFullError, TaskFailedError, WorkerStartError } from '../../src/pool';
import { buildCProgram, createBuildDirectory } from '../helpers/build-c-worker';
import { expectNoLeaks } from '../helpers/leaks';
import { expectFullSize, livePids, nodeEcho, nodeWorker, pythonEcho } from '../helpers/pool-workers';

const buildDirectory = createBuildDirectory();
let cEcho = { command: '', args: [] as string[] };

beforeAll(() => {
  cEcho = { command: buildCProgram('echo_worker', buildDirectory), args: [] };
});
afterAll(() => rmSync(buildDirectory, { recursive: true, force: true }));

describe('the seed checkpoint', () => {
  it.each([
    ['Node', () => nodeEcho],
    ['C', () => cEcho],
    ['Python', () => pythonEcho],
  ])('3 %s workers, 10 tasks: every result right, 3 workers still alive', (_language, worker) =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...worker(), size: 3 });
      await pool.start();
      const payloads = Array.from({ length: 10 }, (_, index) => `task ${index}`);
      const results = await Promise.all(payloads.map((payload) => pool.run(payload)));
      expect(results.map(String)).toEqual(payloads);
      expect(livePids(pool)).toHaveLength(3);
      expect(pool.stats()).toMatchObject({ size: 3, completed: 10, failed: 0, crashed: 0, respawned: 0 });
      await pool.close();
    }),
  );
});

describe('start()', () => {
  it('resolves once every worker has sent WORKER_READY', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 2 });
      const ready: number[] = [];
      pool.on('ready', ({ workerId }) => ready.push(workerId));
      await pool.start();
      expect(ready.sort()).toEqual([0, 1]);
      expect(pool.stats().workers.map((worker) => worker.state)).toEqual(['idle', 'idle']);
      await pool.close();
    }));

  it('rejects at once with the SpawnError when the command cannot be run', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ command: './no-such-worker', size: 3, readyTimeoutMs: 60_000 });
      const error = await pool.start().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SpawnError);
      expect(error).toMatchObject({ code: 'ENOENT', childStep: 'execvp', path: './no-such-worker' });
      await pool.close();
    }), 5_000);

  it('rejects with a WorkerStartError when a worker sends no WORKER_READY in time', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeWorker('pool-raw-worker.mjs', 'silent'), size: 2, readyTimeoutMs: 300 });
      const error = await pool.start().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WorkerStartError);
      expect(error).toMatchObject({ code: 'ERR_POOL_WORKER_START', reason: 'timeout' });
      await expect(pool.run('x')).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    }));

  it('rejects when a worker writes stray bytes before WORKER_READY', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeWorker('pool-raw-worker.mjs', 'stray-at-start'), size: 1 });
      await expect(pool.start()).rejects.toMatchObject({ name: 'WorkerStartError', reason: 'protocol' });
    }));

  it('rejects run() before start()', async () => {
    const pool = new Pool({ ...nodeEcho, size: 1 });
    await expect(pool.run('x')).rejects.toMatchObject({ code: 'ERR_POOL_NOT_STARTED' });
    await pool.close();
  });
});

describe('options', () => {
  it.each([
    [{ size: 0 }, RangeError, 'Expected the `size` option to be a positive integer, got `0` (number)'],
    [{ size: 1.5 }, TypeError, 'Expected the `size` option to be a positive integer, got `1.5` (number)'],
    [{ maxQueue: -1 }, RangeError, 'Expected the `maxQueue` option to be a non-negative integer or Infinity, got `-1` (number)'],
    [{ taskTimeoutMs: '5' }, TypeError, 'Expected the `taskTimeoutMs` option to be a positive integer (milliseconds) or Infinity, got `"5"` (string)'],
    [{ heartbeatIntervalMs: -5 }, RangeError, 'Expected the `heartbeatIntervalMs` option to be a non-negative integer (milliseconds), got `-5` (number)'],
    [{ retries: 1001 }, RangeError, 'Expected the `retries` option to be an integer between 0 and 1000, got `1001` (number)'],
    [{ restartBackoff: { initialMs: 0 } }, RangeError, 'Expected the `restartBackoff.initialMs` option to be a positive integer (milliseconds), got `0` (number)'],
    [{ shutdown: 5 }, TypeError, 'Expected the `shutdown` option to be an object, got `5` (number)'],
    [{ stderr: 'tty' }, TypeError, "Expected the `stderr` option to be 'inherit', 'pipe', 'ignore' or a function, got `\"tty\"` (string)"],
    [{ stdio: 'inherit' }, TypeError, /cannot be given to a pool/],
    [{ cwd: 5 }, TypeError, 'Expected the `cwd` option to be a non-empty string or a file URL, got `5` (number)'],
    [{ command: '' }, TypeError, 'Expected the `command` option to be a non-empty string, got `""` (string)'],
    [{ command: 5 }, TypeError, 'Expected the `command` option to be a non-empty string, got `5` (number)'],
    [{ frameTimeoutMs: 0 }, RangeError, 'Expected the `frameTimeoutMs` option to be a positive integer (milliseconds), got `0` (number)'],
    [{ healthyAfterMs: -1 }, RangeError, 'Expected the `healthyAfterMs` option to be a non-negative integer (milliseconds), got `-1` (number)'],
    [{ crashLoop: { fatalSignals: 'yes' } }, TypeError, 'Expected the `crashLoop.fatalSignals` option to be a boolean, got `"yes"` (string)'],
    [{ parentDeathSignal: 0 }, RangeError, 'Expected the `parentDeathSignal` option to be a real signal, got 0'],
  ])('%o is refused before anything is spawned', (options, errorClass, message) =>
    expectNoLeaks(() => {
      expect(() => new Pool({ ...nodeEcho, ...(options as object) })).toThrow(errorClass);
      expect(() => new Pool({ ...nodeEcho, ...(options as object) })).toThrow(message);
    }),
  );

  it('refuses a bad run() option or payload with a rejected promise', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1 });
      await pool.start();
      await expect(pool.run(5 as unknown as string)).rejects.toThrow(TypeError);
      await expect(pool.run('x', { timeoutMs: 0 })).rejects.toThrow(RangeError);
      await expect(pool.run('x', { signal: {} as AbortSignal })).rejects.toThrow(TypeError);
      await pool.close();
    }));
});

describe('scheduling', () => {
  it('spreads concurrent tasks over the idle workers, round robin', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 3 });
      await pool.start();
      await Promise.all([pool.run('sleep:100'), pool.run('sleep:100'), pool.run('sleep:100')]);
      expect(pool.stats().workers.map((worker) => worker.tasksDone)).toEqual([1, 1, 1]);
      await pool.close();
    }));

  it('queues tasks in FIFO order when every worker is busy', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1 });
      await pool.start();
      const order: number[] = [];
      const tasks = Array.from({ length: 20 }, (_, index) => pool.run(`sleep:${index % 3}`).then(() => order.push(index)));
      expect(pool.stats().queued).toBe(19);
      await Promise.all(tasks);
      expect(order).toEqual(Array.from({ length: 20 }, (_, index) => index));
      await pool.close();
    }));

  it('rejects with QueueFullError past maxQueue, and emits drain when all is done', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, maxQueue: 2 });
      await pool.start();
      let drains = 0;
      pool.on('drain', () => drains++);
      const accepted = [pool.run('sleep:50'), pool.run('a'), pool.run('b')];
      const refused = await pool.run('c').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(QueueFullError);
      expect(refused).toMatchObject({ code: 'ERR_POOL_QUEUE_FULL', maxQueue: 2 });
      expect((await Promise.all(accepted)).map(String)).toEqual(['sleep:50', 'a', 'b']);
      expect(drains).toBe(1);
      await pool.close();
    }));

  it('carries binary payloads both ways untouched, and large ones', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 2 });
      await pool.start();
      const everyByte = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
      expect(await pool.run(everyByte)).toEqual(everyByte);
      expect(await pool.run(new Uint8Array([0, 255, 10, 13]))).toEqual(Buffer.from([0, 255, 10, 13]));
      const big = Buffer.alloc(3 * 1024 * 1024, 7);
      expect((await pool.run(big)).equals(big)).toBe(true);
      const generated = await pool.run('big:1000000');
      expect(generated.length).toBe(1_000_000);
      expect(generated[999_999]).toBe(999_999 % 251);
      await pool.close();
    }));

  it('rejects a task whose handler failed with TaskFailedError; the worker keeps serving', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1 });
      await pool.start();
      const [pid] = livePids(pool);
      const error = await pool.run('error:bad input').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TaskFailedError);
      expect(error).toMatchObject({ code: 'ERR_POOL_TASK_FAILED', errorCode: 42, message: 'bad input', pid });
      expect((await pool.run('after')).toString()).toBe('after');
      expect(livePids(pool)).toEqual([pid]);
      await pool.close();
    }));

  it('pipelines tasks to a worker with maxInFlightPerWorker, matched by sequence number', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...cEcho, size: 1, maxInFlightPerWorker: 8 });
      await pool.start();
      const payloads = Array.from({ length: 100 }, (_, index) => `p${index}`);
      const results = await Promise.all(payloads.map((payload) => pool.run(payload)));
      expect(results.map(String)).toEqual(payloads);
      await pool.close();
    }));

  it('wraps sequence numbers past 65535', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...cEcho, size: 1, maxInFlightPerWorker: 64 });
      await pool.start();
      const total = 66_000;
      let done = 0;
      for (let batch = 0; batch < total; batch += 2000) {
        const results = await Promise.all(Array.from({ length: 2000 }, (_, index) => pool.run(String(batch + index))));
        done += results.filter((result, index) => result.toString() === String(batch + index)).length;
      }
      expect(done).toBe(total);
      expect(pool.stats().crashed).toBe(0);
      await pool.close();
    }), 20_000);

  it('retires a worker gracefully after maxTasksPerWorker and replaces it', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...nodeEcho, size: 1, maxTasksPerWorker: 2 });
      const exits: { expected: boolean; exitCode: number | null }[] = [];
      pool.on('exit', ({ expected, exitCode }) => exits.push({ expected, exitCode }));
      await pool.start();
      const results = [];
      for (let index = 0; index < 5; index++) results.push((await pool.run(`t${index}`)).toString());
      expect(results).toEqual(['t0', 't1', 't2', 't3', 't4']);
      expect(exits).toEqual([
        { expected: true, exitCode: 0 },
        { expected: true, exitCode: 0 },
      ]);
      expect(pool.stats()).toMatchObject({ crashed: 0, respawned: 2 });
      await pool.close();
    }));

  it('passes env and cwd through, and hands stderr lines to a callback with the worker id', () =>
    expectNoLeaks(async () => {
      const lines: [string, number][] = [];
      const pool = new Pool({
        ...nodeWorker('pool-gated-worker.mjs'),
        size: 2,
        cwd: __dirname,
        env: { ...process.env, GATE_FILE: 'start-scheduling.test.ts' },
        stderr: (line, workerId) => lines.push([line, workerId]),
      });
      await pool.start();
      expect((await pool.run('through the gate')).toString()).toBe('through the gate');
      await pool.close();

      const printing = new Pool({ ...nodeEcho, size: 1, stderr: (line, workerId) => lines.push([line, workerId]) });
      await printing.start();
      await printing.run('print:first line');
      await printing.run('print:second line');
      await printing.close();
      expect(lines).toEqual([
        ['first line', 0],
        ['second line', 0],
      ]);
    }));

  it('emits stderr lines as events with stderr: "pipe"', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...pythonEcho, size: 1, stderr: 'pipe' });
      const lines: string[] = [];
      pool.on('stderr', (line) => lines.push(line));
      await pool.start();
      await pool.run('print:from python');
      await pool.close();
      expect(lines).toContain('from python');
    }));
});

it('keeps its size through all of this', () =>
  expectNoLeaks(async () => {
    const pool = new Pool({ ...nodeEcho, size: 2 });
    await pool.start();
    await expectFullSize(pool);
    await pool.close();
  }));
