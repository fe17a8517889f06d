// Spawn /bin/true and wait for it, one at a time: ours (fork and vfork, with and without pipes,
// and run()) against child_process, execa, nano-spawn, tinyexec and a C fork+exec+waitpid loop.
import { compileC, interleave, quick, ratioNote, runC, table, timeSequential } from './lib.mjs';
import { ourSpawners, peerSpawners } from './shared/spawners.mjs';

const perRound = quick ? 100 : 400;
const rounds = quick ? 3 : 7;
const C_LOOP = 'C fork+exec+waitpid';
const C_VFORK_LOOP = 'C vfork+exec+waitpid';
const CP_SPAWN = "child_process.spawn, 'ignore'";
const cLoop = compileC('fork_exec_wait');
const cVforkLoop = compileC('vfork_exec_wait');

const variants = [
  { name: C_LOOP, run: async () => runC(cLoop, [perRound]) },
  // The same loop with vfork, from a parent holding no extra memory (0 MiB).
  { name: C_VFORK_LOOP, run: async () => runC(cVforkLoop, [perRound, 0, 'vfork']) },
  ...[...ourSpawners(), ...peerSpawners()].map(({ name, once }) => ({ name, run: () => timeSequential(perRound, once) })),
];

console.log(`Spawn \`/bin/true\` and wait for its exit (and its pipes' end, if any), one at a time: ${perRound} spawns per variant per round.\n`);
const samples = await interleave(variants, { rounds });
console.log(table(samples, { unit: 'µs/spawn', peers: [C_LOOP, C_VFORK_LOOP, CP_SPAWN] }));
console.log(`\n${ratioNote(rounds)} The C loops time themselves inside their own process (no Node, no pipes).`);
console.log('Targets: ours (issue 7) ≤ 1.3× the C fork loop\'s time (speed vs C ≥ 0.77×), ≥ 2.3× faster than child_process.spawn;');
console.log("the default spawn (vfork, 'ignore'; issue 18) ≤ 1.1× the C vfork loop's time (speed vs C vfork ≥ 0.91×).");
