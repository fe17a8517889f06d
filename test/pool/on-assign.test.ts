// run(payload, { onAssign }): the caller learns which worker runs its task, each time it is sent.
import { describe, expect, it } from 'vitest';
import { Pool, WorkerExitError } from '../../src/pool';
import { expectNoLeaks } from '../helpers/leaks';
import { nodeWorker } from '../helpers/pool-workers';

const pidWorker = nodeWorker('pid-worker.mjs');
const crashingWorker = nodeWorker('echo-worker.mjs');

describe('run() onAssign', () => {
  it('names the worker that answers: its pid is the one the worker reports', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...pidWorker, size: 3 });
      await pool.start();
      const tasks = Array.from({ length: 9 }, async (_, i) => {
        const assigned: number[] = [];
        const result = await pool.run(`sleep:${(i * 13) % 30}`, { onAssign: ({ pid }) => assigned.push(pid) });
        return { assigned, answeredBy: Number(result.toString()) };
      });
      for (const { assigned, answeredBy } of await Promise.all(tasks)) expect(assigned).toEqual([answeredBy]);
      await pool.close();
    }));

  it('is called again for each retry, with the new worker; the error names the last one', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...crashingWorker, size: 2, retries: 1, restartBackoff: { initialMs: 10, maxMs: 50 } });
      await pool.start();
      const assigned: number[] = [];
      const error = await pool.run('crash', { onAssign: ({ pid }) => assigned.push(pid) }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WorkerExitError);
      expect(assigned).toHaveLength(2);
      expect(assigned[0]).not.toBe(assigned[1]);
      expect((error as WorkerExitError).pid).toBe(assigned[1]);
      await pool.close();
    }));

  it('must be a function (TypeError), and a throwing one reaches the error event, not the queue', () =>
    expectNoLeaks(async () => {
      const pool = new Pool({ ...pidWorker, size: 1 });
      await pool.start();
      await expect(pool.run('x', { onAssign: 5 as never })).rejects.toThrow(new TypeError('Expected the `onAssign` option to be a function, got `5` (number)'));
      const errors: Error[] = [];
      pool.on('error', (error) => errors.push(error));
      const results = await Promise.all([
        pool.run('a', {
          onAssign: () => {
            throw new Error('caller bug');
          },
        }),
        pool.run('b'),
      ]);
      expect(results.map(String)).toHaveLength(2);
      expect(errors.map((error) => error.message)).toEqual(['caller bug']);
      await pool.close();
    }));
});
