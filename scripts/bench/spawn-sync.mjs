// The Sync functions side by side: spawnSync and execFileSync of ours (the drop-in, and runSync
// under both spawn methods) against node:child_process's, first for /bin/true, then with 1 MiB
// through `cat` (input written as the child reads it, output collected by the same loop).
import childProcess from 'node:child_process';
import { interleave, loadOurs, MiB, quick, ratioNote, table } from './lib.mjs';
import { performance } from 'node:perf_hooks';

const ours = loadOurs('child_process/index.js');
const { runSync } = loadOurs();

const perRound = quick ? 100 : 400;
const rounds = quick ? 3 : 7;
const TRUE = '/bin/true';
const CP_SPAWN_SYNC = 'child_process.spawnSync';
const CP_EXEC_FILE_SYNC = 'child_process.execFileSync';

/** Microseconds per call of a synchronous `once`, called `count` times. */
function timeSync(count, once) {
  const start = performance.now();
  for (let i = 0; i < count; i++) once();
  return ((performance.now() - start) * 1000) / count;
}

function variantsFor(file, args, options, count) {
  const checked = (result) => {
    if (result.status !== 0 && result.exitCode !== 0) throw new Error(`${file} failed: ${JSON.stringify(result.error ?? result.status)}`);
  };
  return [
    { name: CP_SPAWN_SYNC, run: async () => timeSync(count, () => checked(childProcess.spawnSync(file, args, options))) },
    { name: 'ours spawnSync (drop-in)', run: async () => timeSync(count, () => checked(ours.spawnSync(file, args, options))) },
    { name: CP_EXEC_FILE_SYNC, run: async () => timeSync(count, () => childProcess.execFileSync(file, args, options)) },
    { name: 'ours execFileSync (drop-in)', run: async () => timeSync(count, () => ours.execFileSync(file, args, options)) },
    ...['fork', 'vfork'].map((spawnMethod) => ({
      name: `ours runSync ${spawnMethod}`,
      run: async () => timeSync(count, () => checked(runSync(file, args, { ...options, encoding: 'buffer', spawnMethod }))),
    })),
  ];
}

console.log(`### \`/bin/true\`, 3 pipes\n\nSpawn \`/bin/true\` and wait for it, synchronously: ${perRound} calls per variant per round.\n`);
const trueSamples = await interleave(variantsFor(TRUE, [], {}, perRound), { rounds });
console.log(table(trueSamples, { unit: 'µs/call', peers: [CP_SPAWN_SYNC, CP_EXEC_FILE_SYNC] }));

const input = Buffer.alloc(MiB, 'x');
const catCalls = Math.max(10, perRound / 8);
console.log(`\n### 1 MiB through \`cat\`\n\n\`cat\` with 1 MiB of input, collecting its 1 MiB of output (maxBuffer raised): ${catCalls} calls per variant per round.\n`);
const catSamples = await interleave(variantsFor('cat', [], { input, maxBuffer: 4 * MiB }, catCalls), { rounds });
console.log(table(catSamples, { unit: 'µs/call', peers: [CP_SPAWN_SYNC, CP_EXEC_FILE_SYNC] }));
console.log(`\n${ratioNote(rounds)} Each call blocks the event loop until the child is reaped and its pipes are closed.`);
