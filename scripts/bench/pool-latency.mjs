// One task at a time through a pool of 2 workers (a 4-byte echo): the latency of a round trip
// through each pool, p50 and p99 of every task's own time.
import { performance } from 'node:perf_hooks';
import { interleave, percentile, quick, ratioNote, table } from './lib.mjs';
import { ours, peers, withPools } from './shared/pools.mjs';

const TASKS = quick ? 1_000 : 5_000;
const rounds = quick ? 3 : 5;
const PAYLOAD = Buffer.from('ping');

const contenders = [ours('Node'), ours('C'), ours('Python'), ...peers()];
const WORKERPOOL = contenders.find((contender) => contender.name.startsWith('workerpool')).name;

async function latencies(contender) {
  const micros = [];
  for (let i = 0; i < TASKS; i++) {
    const start = performance.now();
    await contender.run(PAYLOAD);
    micros.push((performance.now() - start) * 1000);
  }
  return { p50: percentile(micros, 50), p99: percentile(micros, 99) };
}

console.log(`A pool of 2 workers, ${TASKS} tasks of 4 bytes one after the other; µs from run() to its result.\n`);
const samples = await withPools(contenders, () =>
  interleave(contenders.map((contender) => ({ name: contender.name, run: () => latencies(contender) })), { rounds }),
);
console.log(
  table(samples, { metric: 'p50', unit: 'p50 µs', extra: [{ metric: 'p99', label: 'median p99 µs' }], peers: [WORKERPOOL] }),
);
console.log(`\n${ratioNote(rounds)} The ratio is of the p50s. worker-farm has only one task to pipeline here.`);
console.log('Targets (issue 7): Node worker ≤ workerpool (speed ≥ 1×); C worker p50 ≤ 45 µs.');
