// The soak's steady load besides the pools: spawn(), run(), the child_process drop-in next to
// Node's own child_process, and spawns from worker threads. Each loop runs until `running()`
// turns false and counts into `counters`; anything unexpected is pushed to `failures`.
import { execFile as nodeExecFile } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { RunError, run, spawn } from 'process-spawner';
import { execFile as dropInExecFile } from 'process-spawner/child_process';

const METHODS = ['fork', 'vfork'];
const require = createRequire(import.meta.url);
const PACKAGE = require.resolve('process-spawner');

export function createCounters() {
  return { spawns: 0, runs: 0, runTimeouts: 0, childProcess: 0, threads: 0, threadSpawns: 0 };
}

/** spawn() with pipes, alternating methods: the output must come back whole. */
export async function spawnLoop({ running, counters, failures, random }) {
  while (running()) {
    const spawnMethod = random.pick(METHODS);
    const word = `w${random.int(0, 1e9)}`;
    const child = spawn('/bin/echo', [word], { spawnMethod });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const [exit] = await Promise.all([child.exited, new Promise((resolve) => child.once('close', resolve))]);
    counters.spawns++;
    if (exit.exitCode !== 0 || stdout !== `${word}\n`) failures.push(`spawn (${spawnMethod}): exit ${exit.exitCode}, stdout ${JSON.stringify(stdout)}`);
  }
}

/** run(): with input, with stderr, and one in ten killed by its timeout (a RunError, ERR_TIMEOUT). */
export async function runLoop({ running, counters, failures, random }) {
  while (running()) {
    const spawnMethod = random.pick(METHODS);
    if (random.next() < 0.1) {
      try {
        await run('sleep', ['5'], { spawnMethod, timeout: random.int(5, 50) });
        failures.push('run: a sleep 5 with a timeout finished');
      } catch (error) {
        if (!(error instanceof RunError) || error.code !== 'ERR_TIMEOUT') failures.push(`run timeout: ${error}`);
        counters.runTimeouts++;
      }
    } else {
      const input = `line ${random.int(0, 1e6)}\n`.repeat(random.int(1, 2000));
      const result = await run('sh', ['-c', 'cat; echo done >&2'], { spawnMethod, input });
      if (result.stdout !== input || result.stderr !== 'done\n') failures.push(`run (${spawnMethod}): output differs`);
    }
    counters.runs++;
  }
}

function execFileResult(execFile, file, args) {
  return new Promise((resolve) => execFile(file, args, (error, stdout) => resolve({ error, stdout: String(stdout) })));
}

/**
 * The drop-in and Node's own child_process in turn, in the same process: libuv replaces our
 * SIGCHLD handler at each of its spawns, and our exits must still be heard.
 */
export async function childProcessLoop({ running, counters, failures }) {
  while (running()) {
    const [ours, nodes] = await Promise.all([
      execFileResult(dropInExecFile, 'echo', ['ours']),
      execFileResult(nodeExecFile, 'echo', ['node']),
    ]);
    if (ours.error || ours.stdout !== 'ours\n') failures.push(`drop-in execFile: ${ours.error ?? ours.stdout}`);
    if (nodes.error || nodes.stdout !== 'node\n') failures.push(`child_process.execFile: ${nodes.error ?? nodes.stdout}`);
    counters.childProcess += 2;
  }
}

// A worker thread spawns a few children with its own reaper, then ends.
const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { run } = require(workerData.package);
(async () => {
  const outputs = [];
  for (let i = 0; i < workerData.spawns; i++) {
    outputs.push((await run('/bin/echo', ['t' + i], { spawnMethod: i % 2 ? 'vfork' : 'fork' })).stdout);
  }
  parentPort.postMessage(outputs);
})();
`;

export async function threadLoop({ running, counters, failures }) {
  while (running()) {
    const spawns = 5;
    const worker = new Worker(THREAD_CODE, { eval: true, workerData: { package: PACKAGE, spawns } });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const outputs = await within(
      30_000,
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
    ).catch((error) => failures.push(`worker thread: ${error}`));
    // The thread has nothing left to do: its event loop must let it end by itself.
    const ended = await within(30_000, exited).then(
      () => true,
      () => false,
    );
    if (!ended) {
      failures.push('worker thread: did not end after its last spawn');
      await worker.terminate();
    }
    const expected = Array.from({ length: spawns }, (_, i) => `t${i}\n`);
    if (JSON.stringify(outputs) !== JSON.stringify(expected)) failures.push(`worker thread outputs: ${JSON.stringify(outputs)}`);
    counters.threads++;
    counters.threadSpawns += spawns;
  }
}

function within(ms, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
