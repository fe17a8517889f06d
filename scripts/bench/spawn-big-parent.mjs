// Spawn /bin/true from a parent holding 1 GiB of resident Buffers: fork copies the parent's page
// tables, so its cost grows with the parent's memory; vfork (clone(CLONE_VM | CLONE_VFORK))
// shares them and costs the same as from a small parent. Against child_process (libuv forks) and
// C parents holding the same memory, with vfork and with fork.
import childProcess from 'node:child_process';
import { compileC, GiB, holdResidentBuffers, interleave, loadOurs, MiB, quick, ratioNote, runC, table, timeSequential } from './lib.mjs';

const { spawn } = loadOurs();
const HELD = quick ? 256 * MiB : GiB;
const heldMiB = HELD / MiB;
const rounds = quick ? 3 : 7;
// fork from a big parent takes tens of ms, vfork well under one: as many spawns as keep each
// variant's round around a second.
const forkSpawns = quick ? 10 : 30;
const vforkSpawns = quick ? 100 : 400;
const C_VFORK = `C vfork+exec+waitpid, ${heldMiB} MiB held`;
const CP_SPAWN = "child_process.spawn, 'ignore'";
const cLoop = compileC('vfork_exec_wait');

const held = holdResidentBuffers(HELD);
const ours = (spawnMethod) => () => spawn('/bin/true', [], { stdio: 'ignore', spawnMethod }).exited;
const childProcessSpawn = () => new Promise((resolve) => childProcess.spawn('/bin/true', { stdio: 'ignore' }).once('exit', resolve));
const variants = [
  { name: C_VFORK, run: async () => runC(cLoop, [vforkSpawns, heldMiB, 'vfork']) },
  { name: `C fork+exec+waitpid, ${heldMiB} MiB held`, run: async () => runC(cLoop, [forkSpawns, heldMiB, 'fork']) },
  { name: "ours spawn vfork, 'ignore'", run: () => timeSequential(vforkSpawns, ours('vfork')) },
  { name: "ours spawn fork, 'ignore'", run: () => timeSequential(forkSpawns, ours('fork')) },
  { name: CP_SPAWN, run: () => timeSequential(forkSpawns, childProcessSpawn) },
];

console.log(
  `Spawn \`/bin/true\` and wait for it, one at a time, while the parent holds ${heldMiB} MiB of Buffers, every page written ` +
    `(the C parents malloc and write as much). ${vforkSpawns} spawns per round for vfork, ${forkSpawns} for fork.` +
    `${quick ? ' Quick run: 256 MiB held instead of 1 GiB.' : ''}\n`,
);
const samples = await interleave(variants, { rounds });
console.log(table(samples, { unit: 'µs/spawn', peers: [C_VFORK, CP_SPAWN] }));
console.log(`\n${ratioNote(rounds)}`);
console.log('Targets (issue 7): the vfork path ≤ 1.5× C vfork\'s time (speed vs C vfork ≥ 0.67×), ≥ 30× faster than child_process.');
held.length = 0;
