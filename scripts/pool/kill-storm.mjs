// The kill storm of issue 11: one SIGKILL every `intervalMs` for `stormMs`, each at a worker of
// the pool chosen at random (starting, idle or busy), while `tasks` tasks run with `retries`.
// Prints how many were fulfilled. Everything else is the pool's defaults.
//
//   node scripts/pool/kill-storm.mjs [--worker node|c] [--tasks 500] [--size 3] [--retries 2]
//                                    [--interval-ms 50] [--storm-ms 3000] [--task-ms 15] [--runs 1]
//
// The C worker is workers/c/echo_worker.c, built by `make -C workers/c` or by the test suite.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { Pool } from '../../dist/index.js';
import { startKillStorm } from './storm.mjs';

const root = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    worker: { type: 'string', default: 'node' },
    'c-worker': { type: 'string', default: join(root, 'workers', 'c', 'echo_worker') },
    tasks: { type: 'string', default: '500' },
    size: { type: 'string', default: '3' },
    retries: { type: 'string', default: '2' },
    'interval-ms': { type: 'string', default: '50' },
    'storm-ms': { type: 'string', default: '3000' },
    'task-ms': { type: 'string', default: '15' },
    runs: { type: 'string', default: '1' },
  },
});

export async function killStorm({ command, args, tasks, size, retries, intervalMs, stormMs, taskMs }) {
  const pool = new Pool({ command, args, size, retries, stderr: 'ignore' });
  const events = { degraded: 0, recovered: 0, startFailures: 0, crashes: 0 };
  pool.on('degraded', () => events.degraded++);
  pool.on('recovered', () => events.recovered++);
  pool.on('crash', ({ startFailure }) => (startFailure ? events.startFailures++ : events.crashes++));
  await pool.start();
  const running = Array.from({ length: tasks }, (_, index) => pool.run(`sleep:${taskMs}`).then(() => index));
  const started = Date.now();
  const storm = startKillStorm(pool, { intervalMs, stormMs });
  const settled = await Promise.allSettled(running);
  const kills = storm.stop();
  await pool.close();
  const rejected = settled.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason.name);
  return { fulfilled: tasks - rejected.length, tasks, kills, rejected, seconds: (Date.now() - started) / 1000, ...events };
}

if (import.meta.main ?? process.argv[1] === import.meta.filename) {
  const worker = values.worker === 'c' ? { command: values['c-worker'], args: [] } : { command: process.execPath, args: [join(root, 'test', 'fixtures', 'echo-worker.mjs')] };
  for (let run = 0; run < Number(values.runs); run++) {
    const result = await killStorm({
      ...worker,
      tasks: Number(values.tasks),
      size: Number(values.size),
      retries: Number(values.retries),
      intervalMs: Number(values['interval-ms']),
      stormMs: Number(values['storm-ms']),
      taskMs: Number(values['task-ms']),
    });
    const counts = new Map();
    for (const name of result.rejected) counts.set(name, (counts.get(name) ?? 0) + 1);
    const reasons = [...counts].map(([name, count]) => `${name} ${count}`);
    console.log(
      `${values.worker}: ${result.fulfilled}/${result.tasks} fulfilled, ${result.kills} kills in ${result.seconds.toFixed(1)} s; ` +
        `${result.crashes} crashes of healthy workers, ${result.startFailures} start failures, ` +
        `degraded ${result.degraded}x, recovered ${result.recovered}x${reasons.length > 0 ? `; rejected: ${reasons.join(', ')}` : ''}`,
    );
  }
}
