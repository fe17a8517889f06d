// Spawn /bin/true and wait for it, one at a time: ours against child_process and a C loop.
import childProcess from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { compileC, interleave, machine, quick, repoRoot, table } from './lib.mjs';

const require = createRequire(import.meta.url);
const { spawn } = require(`${repoRoot}/dist/index.js`);

const perRound = quick ? 100 : 400;
const rounds = quick ? 3 : 7;
const cLoop = compileC('fork_exec_wait');

async function timePerOp(once) {
  const start = performance.now();
  for (let i = 0; i < perRound; i++) await once();
  return ((performance.now() - start) * 1000) / perRound;
}

const variants = [
  { name: 'C fork+exec+waitpid', run: async () => Number(execFileSync(cLoop, [String(perRound)], { encoding: 'utf8' })) },
  { name: "ours spawn, stdio 'ignore'", run: () => timePerOp(() => spawn('/bin/true', [], { stdio: 'ignore' }).exited) },
  {
    name: 'ours spawn, 3 pipes, to close',
    run: () => timePerOp(() => new Promise((resolve) => spawn('/bin/true').once('close', resolve))),
  },
  {
    name: "child_process.spawn, 'ignore'",
    run: () => timePerOp(() => new Promise((resolve) => childProcess.spawn('/bin/true', { stdio: 'ignore' }).once('exit', resolve))),
  },
  {
    name: 'child_process.spawn, 3 pipes, to close',
    run: () => timePerOp(() => new Promise((resolve) => childProcess.spawn('/bin/true').once('close', resolve))),
  },
];

console.log(`${machine()}; ${rounds} interleaved rounds of ${perRound} sequential spawns after a warm-up round`);
console.log(`command: npm run bench -- spawn${quick ? ' --quick' : ''}\n`);
const samples = await interleave(variants, rounds);
console.log(table(samples, ['C fork+exec+waitpid', "child_process.spawn, 'ignore'"]));
