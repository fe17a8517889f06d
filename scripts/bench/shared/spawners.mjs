// The contenders of the "spawn /bin/true and wait" benches (spawn.mjs, spawn-parallel.mjs): one
// function per library, each resolving once the child is gone and its pipes, if any, are closed,
// which is what a caller of that library waits for.
import childProcess from 'node:child_process';
import { execa } from 'execa';
import nanoSpawn from 'nano-spawn';
import { x as tinyexec } from 'tinyexec';
import { loadOurs } from '../lib.mjs';

const { spawn, run } = loadOurs();
const TRUE = '/bin/true';

function closed(child) {
  return new Promise((resolve) => child.once('close', resolve));
}

/** Ours, under both spawn methods: spawn with no pipes, spawn with the default three, and run(). */
export function ourSpawners() {
  return ['fork', 'vfork'].flatMap((spawnMethod) => [
    { name: `ours spawn ${spawnMethod}, 'ignore'`, once: () => spawn(TRUE, [], { stdio: 'ignore', spawnMethod }).exited },
    { name: `ours spawn ${spawnMethod}, 3 pipes`, once: () => closed(spawn(TRUE, [], { spawnMethod })) },
    { name: `ours run ${spawnMethod}`, once: () => run(TRUE, [], { spawnMethod }) },
  ]);
}

/** Node's child_process and the libraries built on it, each used the way its README shows. */
export function peerSpawners({ includeSync = true } = {}) {
  const peers = [
    { name: "child_process.spawn, 'ignore'", once: () => new Promise((resolve) => childProcess.spawn(TRUE, { stdio: 'ignore' }).once('exit', resolve)) },
    { name: 'child_process.spawn, 3 pipes', once: () => closed(childProcess.spawn(TRUE)) },
    { name: 'child_process.execFile', once: () => new Promise((resolve, reject) => childProcess.execFile(TRUE, (error) => (error ? reject(error) : resolve()))) },
    { name: 'execa 9.6.1', once: () => execa(TRUE) },
    { name: 'nano-spawn 2.1.0', once: () => nanoSpawn(TRUE) },
    { name: 'tinyexec 1.4.0', once: async () => tinyexec(TRUE) },
  ];
  // spawnSync blocks the event loop, so it cannot have several children in flight.
  if (includeSync) peers.splice(3, 0, { name: 'child_process.spawnSync', once: async () => childProcess.spawnSync(TRUE) });
  return peers;
}
