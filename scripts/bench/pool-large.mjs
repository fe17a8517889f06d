// A pool of 2 workers and 200 tasks of 1 MiB queued at once, each echoed back: MiB/s of payload
// (each MiB goes to a worker and comes back).
import { performance } from 'node:perf_hooks';
import { interleave, MiB, quick, ratioNote, table } from './lib.mjs';
import { ours, peers, runAll, withPools } from './shared/pools.mjs';

const TASKS = quick ? 50 : 200;
const rounds = quick ? 3 : 5;
const PAYLOAD = Buffer.alloc(MiB, 0x5a);

const contenders = [ours('Node'), ours('C'), ours('C', { maxInFlightPerWorker: 8 }), ours('Python'), ...peers()];
const WORKERPOOL = contenders.find((contender) => contender.name.startsWith('workerpool')).name;

async function throughput(contender) {
  const start = performance.now();
  await runAll(contender, TASKS, PAYLOAD);
  return (TASKS * PAYLOAD.length) / MiB / ((performance.now() - start) / 1000);
}

console.log(`A pool of 2 workers, ${TASKS} tasks of 1 MiB queued at once, each echoed; MiB/s of payload.\n`);
const samples = await withPools(contenders, () =>
  interleave(contenders.map((contender) => ({ name: contender.name, run: () => throughput(contender) })), { rounds }),
);
console.log(table(samples, { unit: 'MiB/s', better: 'higher', digits: 0, peers: [WORKERPOOL] }));
console.log(
  `\n${ratioNote(rounds)} Ours send the 1 MiB Buffer as one binary frame; the peers get it as a 1 MiB latin1 string ` +
    'in JSON over Node\'s IPC channel, their best case (a Buffer would go as a JSON array of numbers).',
);
console.log('Target (issue 7): ≥ 5× workerpool.');
