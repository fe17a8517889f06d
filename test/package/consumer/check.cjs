// Runs in a temporary project that installed the packed tarball, as a user's first lines would.
// `node check.cjs` uses the addon; `node check.cjs no-addon` expects it to be missing.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { encodeFrame, FrameDecoder, MessageType, spawn, run, Pool } = require('process-spawner');
const { serve } = require('process-spawner/worker');
const cp = require('process-spawner/child_process');

function decode(bytes) {
  return new Promise((resolve, reject) => {
    const frames = [];
    const decoder = new FrameDecoder();
    decoder.on('data', (frame) => frames.push(frame)).on('end', () => resolve(frames)).on('error', reject);
    decoder.end(bytes);
  });
}

// The example workers are exported, so that a project finds their installed paths.
function workersExported() {
  for (const file of ['workers/echo-worker.mjs', 'workers/python/echo_worker.py', 'workers/python/process_spawner_worker.py', 'workers/c/protocol.h']) {
    assert.ok(fs.existsSync(require.resolve(`process-spawner/${file}`)), file);
  }
}

async function codecWorks() {
  assert.equal(typeof serve, 'function');
  const [frame] = await decode(encodeFrame(MessageType.TASK_ASSIGNMENT, 7, 'hi'));
  assert.deepEqual([frame.type, frame.sequence, frame.payload.toString()], [MessageType.TASK_ASSIGNMENT, 7, 'hi']);
}

async function spawnsWork() {
  assert.equal((await run('echo', ['from run'])).stdout, 'from run\n');
  const stdout = await new Promise((resolve, reject) =>
    cp.execFile('echo', ['from execFile'], (error, out) => (error ? reject(error) : resolve(out))),
  );
  assert.equal(stdout, 'from execFile\n');
  const example = require.resolve('process-spawner/workers/echo-worker.mjs');
  const pool = new Pool({ command: process.execPath, args: [example], size: 1 });
  await pool.start();
  assert.equal(String(await pool.run('through the example worker')), 'through the example worker');
  await pool.close();
}

async function spawnSaysWhatIsMissing() {
  let thrown;
  try {
    spawn('true');
  } catch (error) {
    thrown = error;
  }
  assert.equal(thrown?.code, 'ERR_ADDON_NOT_LOADED', String(thrown?.stack));
  assert.match(thrown.message, /native addon is not built/);
  assert.match(thrown.message, /npm rebuild process-spawner/);
  assert.match(thrown.message, /python3, make and a C\+\+17 compiler/);
  assert.throws(() => cp.spawn('true'), { code: 'ERR_ADDON_NOT_LOADED' });
  return thrown.message;
}

async function main() {
  workersExported();
  await codecWorks();
  if (process.argv[2] === 'no-addon') console.log(await spawnSaysWhatIsMissing());
  else await spawnsWork();
  console.log('cjs ok');
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
