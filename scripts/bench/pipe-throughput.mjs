// Push 1 GiB through `cat` and read it back, writing and reading at the same time: ours with the
// kernel's default pipes and with `pipeSize: 1 MiB`, child_process, and C (poll() on both pipes)
// with default and 1 MiB pipes. MiB per second, spawn and exit included.
import childProcess from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { compileC, GiB, interleave, loadOurs, MiB, quick, ratioNote, runC, table } from './lib.mjs';

const { spawn } = loadOurs();
const TOTAL = quick ? 256 * MiB : GiB;
const CHUNK = Buffer.alloc(MiB, 0x5a);
const PIPE_SIZE = MiB;
const rounds = quick ? 3 : 5;
const C_BIG_PIPES = 'C, 1 MiB pipes';
const CP_SPAWN = 'child_process.spawn';
const cProgram = compileC('pipe_cat');

/** Writes TOTAL bytes to the child's stdin while counting what comes out of its stdout; MiB/s. */
async function pushThrough(start) {
  const begin = performance.now();
  const child = start();
  let received = 0;
  child.stdout.on('data', (chunk) => (received += chunk.length));
  const ended = once(child.stdout, 'end');
  for (let sent = 0; sent < TOTAL; sent += CHUNK.length) {
    if (!child.stdin.write(CHUNK)) await once(child.stdin, 'drain');
  }
  child.stdin.end();
  await ended;
  if (received !== TOTAL) throw new Error(`read back ${received} bytes of ${TOTAL}`);
  return TOTAL / MiB / ((performance.now() - begin) / 1000);
}

const variants = [
  { name: 'C, default pipes', run: async () => runC(cProgram, [TOTAL / MiB, 0]) },
  { name: C_BIG_PIPES, run: async () => runC(cProgram, [TOTAL / MiB, PIPE_SIZE]) },
  { name: 'ours, default pipes', run: () => pushThrough(() => spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] })) },
  { name: 'ours, pipeSize 1 MiB', run: () => pushThrough(() => spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'], pipeSize: PIPE_SIZE })) },
  { name: CP_SPAWN, run: () => pushThrough(() => childProcess.spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] })) },
];

console.log(
  `${TOTAL / MiB} MiB through \`cat\` in 1 MiB writes, read back at the same time; MiB/s of payload, spawn to exit.` +
    `${quick ? ' Quick run: 256 MiB instead of 1 GiB.' : ''}\n`,
);
const samples = await interleave(variants, { rounds });
console.log(table(samples, { unit: 'MiB/s', better: 'higher', digits: 0, peers: [C_BIG_PIPES, CP_SPAWN] }));
console.log(`\n${ratioNote(rounds)}`);
console.log('Target (issue 7): ours with 1 MiB pipes ≥ 0.9× C with 1 MiB pipes.');
