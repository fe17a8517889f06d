// How the cost of noticing an exit grows with the children alive, and what spawning does to the
// event loop. (1) A `/bin/true` round trip with no other child alive, and with 1,000 sleeping
// children of ours alive: each exit is found through its own pidfd in the thread's epoll set,
// so the second should cost about the same as the first. child_process does the same two, as
// the peer. (2) The event loop's delay (p99, monitorEventLoopDelay) while 1,000 children are
// spawned 20 at a time and waited for, ours beside child_process.
import childProcess from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { interleave, loadOurs, median, quick, ratioNote, table, timeInFlight, timeSequential } from './lib.mjs';

const { spawn } = loadOurs();
const perRound = quick ? 100 : 300;
const rounds = quick ? 3 : 7;
const LIVE = quick ? 200 : 1000;
const SPAWNED = quick ? 200 : 1000;

const ourTrue = () => spawn('/bin/true', [], { stdio: 'ignore' }).exited;
const ourTrueForked = () => spawn('/bin/true', [], { stdio: 'ignore', spawnMethod: 'fork' }).exited;
const theirTrue = () => new Promise((resolve) => childProcess.spawn('/bin/true', { stdio: 'ignore' }).once('exit', resolve));

/** `count` children that sleep until killed, of ours or child_process's. */
function sleepers(count, ours) {
  return Array.from({ length: count }, () =>
    ours ? spawn('sleep', ['3600'], { stdio: 'ignore' }) : childProcess.spawn('sleep', ['3600'], { stdio: 'ignore' }),
  );
}

async function killAll(children) {
  const gone = children.map((child) => (child.exited ?? new Promise((resolve) => child.once('exit', resolve))));
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(gone);
}

async function withLiveChildren(ours, body) {
  const alive = sleepers(LIVE, ours);
  try {
    return await body();
  } finally {
    await killAll(alive);
  }
}

const OURS_NONE = 'ours, no other child';
const OURS_LIVE = `ours, ${LIVE} children alive`;
const FORKED_NONE = 'ours (fork method), no other child';
const FORKED_LIVE = `ours (fork method), ${LIVE} children alive`;
const THEIRS_NONE = 'child_process, no other child';
const THEIRS_LIVE = `child_process, ${LIVE} children alive`;

console.log(`### A round trip beside ${LIVE} live children\n`);
console.log(`Spawn \`/bin/true\` and wait for its exit, one at a time (${perRound} per variant per round), with no other child, then with ${LIVE} children of the same library sleeping.\n`);
const roundTrips = await interleave(
  [
    { name: OURS_NONE, run: () => timeSequential(perRound, ourTrue) },
    { name: OURS_LIVE, run: () => withLiveChildren(true, () => timeSequential(perRound, ourTrue)) },
    { name: FORKED_NONE, run: () => timeSequential(perRound, ourTrueForked) },
    { name: FORKED_LIVE, run: () => withLiveChildren(true, () => timeSequential(perRound, ourTrueForked)) },
    { name: THEIRS_NONE, run: () => timeSequential(perRound, theirTrue) },
    { name: THEIRS_LIVE, run: () => withLiveChildren(false, () => timeSequential(perRound, theirTrue)) },
  ],
  { rounds },
);
console.log(table(roundTrips, { unit: 'µs/spawn', peers: [OURS_NONE, FORKED_NONE, THEIRS_NONE] }));
const growth = (live, none) => median(roundTrips.get(live).map((value, i) => value / roundTrips.get(none)[i])).toFixed(2);
console.log(`\n${ratioNote(rounds)} The ${LIVE} sleepers are spawned and killed outside the timed part.`);
console.log(
  `With ${LIVE} children alive a round trip takes ${growth(OURS_LIVE, OURS_NONE)}× the time it takes with none (vfork, the default), ` +
    `${growth(FORKED_LIVE, FORKED_NONE)}× with the fork method, ${growth(THEIRS_LIVE, THEIRS_NONE)}× for child_process (target, issue 18: at most 1.2×).`,
);

/** p99 and max of the event loop's delay, in ms, while `SPAWNED` children are spawned 20 at a time. */
async function loopDelayWhileSpawning(once) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const micros = await timeInFlight(SPAWNED, 20, once);
  histogram.disable();
  return { p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6, micros };
}

console.log(`\n### The event loop while spawning\n`);
console.log(`${SPAWNED} \`/bin/true\` spawned 20 at a time and waited for; the event loop's delay (monitorEventLoopDelay, 1 ms resolution) meanwhile.\n`);
const delays = await interleave(
  [
    { name: 'ours', run: () => loopDelayWhileSpawning(ourTrue) },
    { name: 'child_process.spawn', run: () => loopDelayWhileSpawning(theirTrue) },
  ],
  { rounds },
);
console.log(
  table(delays, {
    unit: 'p99 delay ms',
    metric: 'p99',
    digits: 2,
    peers: ['child_process.spawn'],
    extra: [
      { metric: 'max', label: 'median max delay ms', digits: 2 },
      { metric: 'micros', label: 'median µs/spawn', digits: 1 },
    ],
  }),
);
console.log(`\n${ratioNote(rounds)} A spawn blocks the event loop for as long as the spawning thread is in it: for ours, until the child has exec'd (vfork); for child_process, until libuv's fork returns.`);
