// 1-byte round trips through `cat`: write one byte to its stdin, wait for it on its stdout,
// repeat. The same child for every variant; ours and child_process through their streams, C
// with blocking read/write. Microseconds per round trip: the latency of the pipe path.
import childProcess from 'node:child_process';
import { compileC, interleave, loadOurs, quick, ratioNote, runC, table, timeSequential } from './lib.mjs';

const { spawn } = loadOurs();
const roundTrips = quick ? 2_000 : 20_000;
const rounds = quick ? 3 : 7;
const CP_SPAWN = 'child_process.spawn, streams';
const cProgram = compileC('ping_pong');
const BYTE = Buffer.from('x');

/** One `cat` kept for every round of a variant, so the rounds time round trips, not spawns. */
function pingPonger(start) {
  const child = start();
  let pong = null;
  // One byte out, one byte back: each 'data' is the answer to the one write in flight.
  child.stdout.on('data', () => pong());
  const roundTrip = () =>
    new Promise((resolve) => {
      pong = resolve;
      child.stdin.write(BYTE);
    });
  return { run: () => timeSequential(roundTrips, roundTrip), stop: () => child.stdin.end() };
}

const ours = pingPonger(() => spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] }));
const theirs = pingPonger(() => childProcess.spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] }));
const variants = [
  { name: 'C, blocking read/write', run: async () => runC(cProgram, [roundTrips]) },
  { name: 'ours spawn, streams', run: ours.run },
  { name: CP_SPAWN, run: theirs.run },
];

console.log(`1-byte round trips through one \`cat\`: ${roundTrips} per variant per round; µs per round trip.\n`);
const samples = await interleave(variants, { rounds });
ours.stop();
theirs.stop();
console.log(table(samples, { unit: 'µs/round trip', peers: [CP_SPAWN] }));
console.log(`\n${ratioNote(rounds)} child_process's stdio are socketpairs (libuv), ours are pipes.`);
console.log('Target (issue 7): ours ≤ child_process\'s round trip (speed vs child_process ≥ 1×).');
