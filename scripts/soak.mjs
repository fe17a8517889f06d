// The soak: everything the library does, at once, for a long time, with workers killed and
// stopped under it; then 2,000 process exits beside the orphanage's helper thread. Not part of `npm test`; run it with `npm run soak` (30 minutes) or
// `npm run soak -- --minutes 2` (CI). Needs `node --expose-gc` (the npm script passes it), so that
// memory is measured after a full collection.
//
// It prints, every few minutes and at the end: spawns/s, pool tasks done / failed (reported) /
// lost, kills and stops, fds, child processes and zombies, RSS and heap after GC. It exits 1 on
// any lost or wrong task, any unexpected result, a child or zombie or fd left at the end, or a
// growth trend in heap, RSS or fds over the second half of the run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { run } from 'process-spawner';
import { childProcessLoop, createCounters, runLoop, spawnLoop, threadLoop } from './soak/activities.mjs';
import { fuzzLoop } from './soak/fuzz.mjs';
import { createPoolCounters, poolLoop } from './soak/pools.mjs';
import { children, memoryAfterGc, openFdCount } from './soak/process-state.mjs';
import { createRandom } from './soak/random.mjs';
import { leakTrends } from './soak/trend.mjs';

const MIB = 1;
// Growth over the second half that counts as a leak: generous for the noisy RSS, tight for fds.
const TOLERANCE = {
  heapMiB: (start) => 8 * MIB + start * 0.15,
  rssMiB: (start) => 48 * MIB + start * 0.25,
  fds: () => 8,
};

function options() {
  const { values } = parseArgs({
    options: { minutes: { type: 'string', default: '30' }, seed: { type: 'string' } },
  });
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) throw new RangeError(`Expected --minutes to be a positive number, got ${values.minutes}`);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  return { durationMs: minutes * 60_000, seed };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function sample(startedAt) {
  const { total, zombies } = children();
  return { atMs: Date.now() - startedAt, fds: openFdCount(), children: total, zombies, ...memoryAfterGc() };
}

function spawnsSoFar(counters, poolCounters) {
  return counters.spawns + counters.runs + counters.childProcess + counters.threadSpawns + poolCounters.workersSpawned;
}

function report(label, state) {
  const { counters, poolCounters, startedAt } = state;
  const now = sample(startedAt);
  const seconds = (Date.now() - startedAt) / 1000;
  const line = [
    `[${label}]`,
    `spawns/s ${(spawnsSoFar(counters, poolCounters) / seconds).toFixed(1)}`,
    `tasks done ${poolCounters.tasksDone} failed(reported) ${poolCounters.tasksFailed} lost ${poolCounters.tasksLost}`,
    `kills ${poolCounters.kills} stops ${poolCounters.stops} pools ${poolCounters.pools}`,
    `frames ${counters.frames}`,
    `fds ${now.fds} children ${now.children} zombies ${now.zombies}`,
    `rss ${now.rssMiB.toFixed(1)} MiB heap ${now.heapMiB.toFixed(1)} MiB`,
  ];
  console.log(line.join(' | '));
  return now;
}

/** After the loops have stopped: children reaped and fds closed, given some time to land. */
async function settled(baselineFds) {
  for (let i = 0; i < 100; i++) {
    const { total } = children();
    if (total === 0 && openFdCount() <= baselineFds) break;
    await sleep(100);
  }
  return sample(0);
}

async function main() {
  const { durationMs, seed } = options();
  const random = createRandom(seed);
  console.log(`soak: ${(durationMs / 60_000).toFixed(2)} minutes, seed ${seed}, gc ${globalThis.gc ? 'on' : 'OFF (run with --expose-gc)'}`);
  await run('/bin/true'); // the reaper's self-pipe stays open for the process's life
  const baseline = sample(0);

  const startedAt = Date.now();
  const deadline = startedAt + durationMs;
  const counters = { ...createCounters(), frames: 0, fuzzRounds: 0 };
  const poolCounters = createPoolCounters();
  const failures = [];
  const running = () => Date.now() < deadline;
  const context = { running, counters, failures, random };
  const state = { counters, poolCounters, startedAt };

  const loops = [
    spawnLoop(context),
    runLoop(context),
    childProcessLoop(context),
    threadLoop(context),
    fuzzLoop(context),
    poolLoop('fork', { ...context, counters: poolCounters }),
    poolLoop('vfork', { ...context, counters: poolCounters }),
  ].map((loop) => loop.catch((error) => failures.push(`a loop threw: ${error?.stack ?? error}`)));

  // Samples for the trend: about 60 over the run, at least every 30 s; a report every 5 minutes
  // (four over a short run).
  const sampleEveryMs = Math.min(30_000, Math.max(1000, durationMs / 60));
  const reportEveryMs = Math.min(5 * 60_000, durationMs / 4);
  const samples = [];
  let nextReport = startedAt + reportEveryMs;
  while (running()) {
    await sleep(Math.min(sampleEveryMs, deadline - Date.now()));
    samples.push(sample(startedAt));
    if (Date.now() >= nextReport && running()) {
      report(`${((Date.now() - startedAt) / 60_000).toFixed(1)} min`, state);
      nextReport += reportEveryMs;
    }
  }
  await Promise.all(loops);
  report('end', state);
  const final = await settled(baseline.fds);

  const problems = [...new Set(failures)].slice(0, 20);
  if (poolCounters.tasksLost > 0) problems.push(`${poolCounters.tasksLost} pool tasks lost`);
  if (poolCounters.tasksWrong > 0) problems.push(`${poolCounters.tasksWrong} pool tasks answered wrongly`);
  if (final.children > 0 || final.zombies > 0) problems.push(`left at the end: ${final.children} children, ${final.zombies} zombies`);
  if (final.fds > baseline.fds) problems.push(`fds at the end: ${final.fds}, at the start: ${baseline.fds}`);
  for (const trend of leakTrends(samples, TOLERANCE)) {
    const line = `${trend.measure} grew ${trend.growth.toFixed(1)} over the second half (allowed ${trend.allowed.toFixed(1)})`;
    if (trend.leaking) problems.push(`leak trend: ${line}`);
    else console.log(`trend: ${line}`);
  }
  console.log(`final: fds ${final.fds} (start ${baseline.fds}), children ${final.children}, zombies ${final.zombies}`);
  const teardown = teardownExits();
  if (teardown !== null) problems.push(teardown);
  if (problems.length > 0) {
    console.log(`SOAK FAILED (seed ${seed}):\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log('soak passed');
  }
}

// 2,000 process exits while the orphanage's helper thread reaps a terminated worker_thread's
// child (test/core/reaper/teardown.test.ts, which npm test runs with fewer): none may abort. A few
// minutes on two cores, so here rather than in npm test. Returns a problem, or null.
function teardownExits() {
  const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
  const args = [vitest, 'run', '--project', 'vfork', 'test/core/reaper/teardown.test.ts', '-t', 'exits beside'];
  console.log('soak: 2,000 process exits beside the orphanage (test/core/reaper/teardown.test.ts)');
  const result = spawnSync(process.execPath, args, {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, PROCESS_SPAWNER_TEARDOWN_EXITS: '2000' },
    stdio: 'inherit',
  });
  return result.status === 0 ? null : `the 2,000 teardown exits failed (exit ${result.status ?? result.signal})`;
}

main();
