// Spawn /bin/true and wait for it, 8 children in flight: as spawn.mjs, but each finished child
// is replaced at once. Wall time per spawn, so it rewards overlapping the waits.
import { compileC, interleave, quick, ratioNote, runC, table, timeInFlight } from './lib.mjs';
import { ourSpawners, peerSpawners } from './shared/spawners.mjs';

const IN_FLIGHT = 8;
const perRound = quick ? 200 : 800;
const rounds = quick ? 3 : 7;
const C_LOOP = `C fork+exec+wait, ${IN_FLIGHT} in flight`;
const CP_SPAWN = "child_process.spawn, 'ignore'";
const cLoop = compileC('fork_exec_wait');

const variants = [
  { name: C_LOOP, run: async () => runC(cLoop, [perRound, IN_FLIGHT]) },
  ...[...ourSpawners(), ...peerSpawners({ includeSync: false })].map(({ name, once }) => ({
    name,
    run: () => timeInFlight(perRound, IN_FLIGHT, once),
  })),
];

console.log(`Spawn \`/bin/true\` and wait for it with ${IN_FLIGHT} children in flight: ${perRound} spawns per variant per round; wall-clock µs per spawn.\n`);
const samples = await interleave(variants, { rounds });
console.log(table(samples, { unit: 'µs/spawn', peers: [C_LOOP, CP_SPAWN] }));
console.log(`\n${ratioNote(rounds)} spawnSync is left out: it blocks, so it cannot have children in flight.`);
console.log('Target (issue 7): ≥ 5× faster than child_process.spawn.');
