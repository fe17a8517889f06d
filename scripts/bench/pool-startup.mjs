// From creating a pool of 2 workers to its first result, and the resident memory of each idle
// worker afterwards (VmRSS from /proc/<pid>/status of every child of this process), against how
// long `node -e 0` takes to boot on the same machine. This sandbox sets NODE_EXTRA_CA_CERTS,
// which makes every Node process read a CA bundle at start, so every Node contender runs with the
// variable and without it.
import childProcess from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { childPids, envWithout, interleave, median, quick, ratioNote, rssKiB, table } from './lib.mjs';
import { ours, peers, POOL_SIZE } from './shared/pools.mjs';

const rounds = quick ? 3 : 7;
const PAYLOAD = Buffer.from('ping');
const CA_VARIABLE = 'NODE_EXTRA_CA_CERTS';
const NODE_BOOT = 'node -e 0 (boot to exit)';
const environments = [
  { label: `${CA_VARIABLE} set`, env: process.env },
  { label: `${CA_VARIABLE} unset`, env: envWithout(CA_VARIABLE) },
];

/** A bare interpreter's boot to exit, the floor for a worker written for it. */
function boot(name, file, args, env) {
  return {
    name,
    run: async () => {
      const start = performance.now();
      await new Promise((resolve) => childProcess.spawn(file, args, { stdio: 'ignore', env }).once('exit', resolve));
      return { firstResultMs: performance.now() - start, rssMiB: NaN };
    },
  };
}

/** Creates the pool, sends one task per worker at once, and times the first answer. */
function startup(contender) {
  return {
    name: contender.name,
    run: async () => {
      const start = performance.now();
      await contender.start();
      const tasks = Array.from({ length: POOL_SIZE }, () => contender.run(PAYLOAD));
      await Promise.race(tasks);
      const firstResultMs = performance.now() - start;
      await Promise.all(tasks);
      const rss = childPids().map(rssKiB).filter((kib) => kib !== null);
      await contender.close();
      return { firstResultMs, rssMiB: median(rss) / 1024 };
    },
  };
}

/** Every variant of one environment; C and Python workers do not read the variable, so only once. */
function variantsFor({ env }, withNativeWorkers) {
  const native = withNativeWorkers ? [ours('C', { env }), ours('Python', { env })] : [];
  const pythonBoot = withNativeWorkers ? [boot('python3 -c pass (boot to exit)', 'python3', ['-c', 'pass'], env)] : [];
  const pools = [ours('Node', { env }), ours('Node (ESM test fixture)', { env }), ...native, ...peers({ env })];
  return [boot(NODE_BOOT, process.execPath, ['-e', '0'], env), ...pythonBoot, ...pools.map(startup)];
}

/** Adds each round's distance to `node -e 0` of the same round. */
function addDistanceToBoot(samples) {
  const nodeBoot = samples.get(NODE_BOOT);
  for (const values of samples.values()) values.forEach((sample, i) => (sample.overBootMs = sample.firstResultMs - nodeBoot[i].firstResultMs));
  return samples;
}

const groups = environments.map((environment, i) => ({ environment, variants: variantsFor(environment, i === 1) }));
// Interleaved across both environments, so a drift in the load hits both alike; the names get
// the environment so the samples do not mix.
const all = groups.flatMap(({ environment, variants }) => variants.map((variant) => ({ ...variant, name: `${variant.name}|${environment.label}` })));
const samples = await interleave(all, { rounds });

console.log(`Create a pool of ${POOL_SIZE} workers, send one task per worker at once: ms to the first result; then VmRSS per worker (median).\n`);
for (const { environment, variants } of [...groups].reverse()) {
  const mine = new Map(variants.map((variant) => [variant.name, samples.get(`${variant.name}|${environment.label}`)]));
  const workerpool = variants.find((variant) => variant.name.startsWith('workerpool')).name;
  console.log(`### ${environment.label}\n`);
  console.log(
    table(addDistanceToBoot(mine), {
      metric: 'firstResultMs',
      unit: 'ms to first result',
      extra: [
        { metric: 'overBootMs', label: 'ms over node -e 0' },
        { metric: 'rssMiB', label: 'idle RSS MiB/worker' },
      ],
      peers: [workerpool],
    }),
  );
  console.log('');
}
console.log(`${ratioNote(rounds)} "ms over node -e 0" is paired by round too.`);
console.log('Targets (issue 7): start to first result ≤ Node\'s own boot + 10 ms; C worker < 2 MiB RSS.');
