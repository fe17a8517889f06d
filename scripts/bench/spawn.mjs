// Spawn /bin/true and wait for it, one at a time: ours (fork and vfork, with and without pipes,
// and run()) against child_process, execa, nano-spawn, tinyexec and a C fork+exec+waitpid loop.
import { compileC, interleave, quick, ratioNote, runC, table, timeSequential } from './lib.mjs';
import { ourSpawners, peerSpawners } from './shared/spawners.mjs';

const perRound = quick ? 100 : 400;
const rounds = quick ? 3 : 7;
const C_LOOP = 'C fork+exec+waitpid';
const CP_SPAWN = "child_process.spawn, 'ignore'";
const cLoop = compileC('fork_exec_wait');

const variants = [
  { name: C_LOOP, run: async () => runC(cLoop, [perRound]) },
  ...[...ourSpawners(), ...peerSpawners()].map(({ name, once }) => ({ name, run: () => timeSequential(perRound, once) })),
];

console.log(`Spawn \`/bin/true\` and wait for its exit (and its pipes' end, if any), one at a time: ${perRound} spawns per variant per round.\n`);
const samples = await interleave(variants, { rounds });
console.log(table(samples, { unit: 'µs/spawn', peers: [C_LOOP, CP_SPAWN] }));
console.log(`\n${ratioNote(rounds)} The C loop times itself inside its own process (no Node, no pipes).`);
console.log('Targets (issue 7): ours ≤ 1.3× the C loop\'s time (speed vs C ≥ 0.77×), ≥ 2.3× faster than child_process.spawn.');
