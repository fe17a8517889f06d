// ES module named imports from each entry point of the installed package.
import assert from 'node:assert/strict';
import { encodeFrame, FrameDecoder, spawn, run, lines, Pool, SpawnError } from 'process-spawner';
import { serve } from 'process-spawner/worker';
import { spawn as cpSpawn, execFile, exec } from 'process-spawner/child_process';

for (const value of [encodeFrame, FrameDecoder, spawn, run, lines, Pool, SpawnError, serve, cpSpawn, execFile, exec]) {
  assert.equal(typeof value, 'function');
}
assert.equal(encodeFrame(1, 1, 'x').length, 9);
if (process.argv[2] !== 'no-addon') assert.equal((await run('echo', ['esm'])).stdout, 'esm\n');
console.log('esm ok');
