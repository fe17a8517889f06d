// fork() + IPC: one Node child per variant, kept for every round; 1,000 sequential round trips of
// a number through its channel (send n, wait for n + 1) and, separately, fork to the first answer.
// Ours and node:child_process's fork() side by side, in both serializations. This sandbox sets
// NODE_EXTRA_CA_CERTS, which slows every Node start: the children run without it.
import childProcess from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { envWithout, interleave, loadOurs, quick, ratioNote, repoRoot, table, timeSequential } from './lib.mjs';

const ours = loadOurs('child_process/index.js');
const MESSAGES = 1_000;
const rounds = quick ? 3 : 7;
const worker = path.join(repoRoot, 'scripts/bench/workers/ipc-counter.js');
const env = envWithout('NODE_EXTRA_CA_CERTS');

/** A forked counter and a round trip through it. */
function counter(fork, serialization) {
  const child = fork(worker, [], { serialization, stdio: 'ignore', env });
  let answer = null;
  child.on('message', (n) => answer(n));
  const roundTrip = (n) =>
    new Promise((resolve) => {
      answer = resolve;
      child.send(n);
    });
  let n = 0;
  return {
    run: async () => ((await timeSequential(MESSAGES, async () => (n = await roundTrip(n)))) * MESSAGES) / 1000,
    stop: () => child.disconnect(),
  };
}

/** From fork() to the first answer: start-up of the child and its channel. */
function firstAnswer(fork) {
  return async () => {
    const start = performance.now();
    const child = fork(worker, [], { stdio: 'ignore', env });
    await new Promise((resolve) => {
      child.once('message', resolve);
      child.send(0);
    });
    const elapsed = performance.now() - start;
    child.disconnect();
    await new Promise((resolve) => child.once('exit', resolve));
    return elapsed;
  };
}

for (const serialization of ['json', 'advanced']) {
  const oursCounter = counter(ours.fork, serialization);
  const nodeCounter = counter(childProcess.fork, serialization);
  const peer = `child_process.fork (${serialization})`;
  const samples = await interleave(
    [
      { name: `ours fork (${serialization})`, run: oursCounter.run },
      { name: peer, run: nodeCounter.run },
    ],
    { rounds },
  );
  oursCounter.stop();
  nodeCounter.stop();
  console.log(`### ${MESSAGES.toLocaleString('en-US')} sequential IPC round trips, serialization '${serialization}'\n`);
  console.log(table(samples, { unit: `ms per ${MESSAGES} round trips`, peers: [peer], digits: 1 }));
  console.log('');
}

const startup = await interleave(
  [
    { name: 'ours fork', run: firstAnswer(ours.fork) },
    { name: 'child_process.fork', run: firstAnswer(childProcess.fork) },
  ],
  { rounds },
);
console.log('### fork() to the first answer on the channel\n');
console.log(table(startup, { unit: 'ms', peers: ['child_process.fork'], digits: 1 }));
console.log(`\n${ratioNote(rounds)} The child is the same Node program for both (${path.relative(repoRoot, worker)}).`);
