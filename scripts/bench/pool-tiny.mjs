// A pool of 2 workers and 20 000 tiny tasks (a 4-byte echo) queued at once: tasks per second,
// and the CPU time the parent spends per task (process.cpuUsage around the run).
import { interleave, measureCpu, quick, ratioNote, table } from './lib.mjs';
import { ours, peers, runAll, withPools } from './shared/pools.mjs';

const TASKS = quick ? 2_000 : 20_000;
const rounds = quick ? 3 : 5;
const PAYLOAD = Buffer.from('ping');

const contenders = [
  ours('Node'),
  ours('Node', { maxInFlightPerWorker: 8 }),
  ours('C'),
  ours('C', { maxInFlightPerWorker: 8 }),
  ours('Python'),
  ...peers(),
];
const WORKERPOOL = contenders.find((contender) => contender.name.startsWith('workerpool')).name;

async function throughput(contender) {
  const { wallMicros, cpuMicros } = await measureCpu(() => runAll(contender, TASKS, PAYLOAD));
  return { tasksPerSecond: (TASKS * 1e6) / wallMicros, cpuPerTask: cpuMicros / TASKS };
}

console.log(`A pool of 2 workers, ${TASKS} tasks of 4 bytes queued at once, each echoed; tasks/s, and the parent's CPU time per task.\n`);
const samples = await withPools(contenders, () =>
  interleave(contenders.map((contender) => ({ name: contender.name, run: () => throughput(contender) })), { rounds }),
);
console.log(
  table(samples, {
    metric: 'tasksPerSecond',
    unit: 'tasks/s',
    better: 'higher',
    digits: 0,
    extra: [{ metric: 'cpuPerTask', label: 'parent CPU µs/task', digits: 1 }],
    peers: [WORKERPOOL],
  }),
);
console.log(`\n${ratioNote(rounds)} Ours send the payload as a binary frame; the peers send it as a string in JSON over Node's IPC channel.`);
console.log('Targets (issue 7): Node workers ≥ 2× workerpool; C workers ≥ 4× workerpool.');
