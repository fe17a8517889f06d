// The contenders of the pool benches (pool-*.mjs), behind one shape:
//   { name, start(): Promise, run(payload: Buffer): Promise<length>, close(): Promise }
// Every pool has 2 workers that echo the payload. Ours get the Buffer as it is (binary frames);
// the peers get it as a latin1 string, the best their JSON-over-IPC channels can carry (a Buffer
// would travel as a JSON array of numbers, several times longer). run() resolves with the echoed
// length, checked by the benches.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Tinypool from 'tinypool';
import workerFarm from 'worker-farm';
import workerpool from 'workerpool';
import { compileC, loadOurs, repoRoot } from '../lib.mjs';

const require = createRequire(import.meta.url);
const { Pool } = loadOurs();
export const POOL_SIZE = 2;
const peerScript = (name) => path.join(repoRoot, 'scripts/bench/peers', name);

/** How each of our worker runtimes is started: the C and Python echo workers are the examples in workers/. */
const ourWorkers = {
  Node: () => ({ command: process.execPath, args: [path.join(repoRoot, 'scripts/bench/workers/echo-worker.js')] }),
  'Node (ESM test fixture)': () => ({ command: process.execPath, args: [path.join(repoRoot, 'test/fixtures/echo-worker.mjs')] }),
  C: () => ({ command: compileC('echo_worker', 'workers/c/echo_worker.c'), args: [] }),
  Python: () => ({ command: 'python3', args: [path.join(repoRoot, 'workers/python/echo_worker.py')] }),
};

/** Our Pool with workers in `language` (a key of ourWorkers); `env` defaults to ours. */
export function ours(language, { maxInFlightPerWorker = 1, env } = {}) {
  const inFlight = maxInFlightPerWorker > 1 ? `, ${maxInFlightPerWorker} in flight per worker` : '';
  const worker = ourWorkers[language]();
  let pool;
  return {
    name: `ours Pool, ${language} workers${inFlight}`,
    start: () => {
      pool = new Pool({ ...worker, size: POOL_SIZE, maxInFlightPerWorker, env });
      return pool.start();
    },
    run: async (payload) => (await pool.run(payload)).length,
    close: () => pool.close(),
  };
}

/** workerpool 10.0.3 with process workers (child_process.fork). */
export function workerpoolPeer({ env = process.env } = {}) {
  let pool;
  return {
    name: 'workerpool 10.0.3, process',
    start: async () => {
      pool = workerpool.pool(peerScript('workerpool-worker.js'), { workerType: 'process', maxWorkers: POOL_SIZE, forkOpts: { env } });
    },
    run: async (payload) => (await pool.exec('echo', [payload.toString('latin1')])).length,
    close: () => pool.terminate(),
  };
}

/** tinypool 2.2.0 with runtime 'child_process'. It passes workers only the `env` given, so give it ours. */
export function tinypoolPeer({ env = process.env } = {}) {
  let pool;
  return {
    name: 'tinypool 2.2.0, child_process',
    start: async () => {
      pool = new Tinypool({
        filename: pathToFileURL(peerScript('tinypool-worker.mjs')).href,
        runtime: 'child_process',
        minThreads: POOL_SIZE,
        maxThreads: POOL_SIZE,
        env,
      });
    },
    run: async (payload) => (await pool.run(payload.toString('latin1'))).length,
    close: () => pool.destroy(),
  };
}

/** worker-farm 1.7.0 with 10 calls in flight per worker (its default, the reference). */
export function workerFarmPeer({ env = process.env } = {}) {
  let farm;
  return {
    name: 'worker-farm 1.7.0, 10 in flight per worker',
    start: async () => {
      farm = workerFarm(
        { maxConcurrentWorkers: POOL_SIZE, maxConcurrentCallsPerWorker: 10, workerOptions: { env } },
        require.resolve(peerScript('worker-farm-worker.js')),
      );
    },
    run: (payload) =>
      new Promise((resolve, reject) => farm(payload.toString('latin1'), (error, result) => (error ? reject(error) : resolve(result.length)))),
    close: () => new Promise((resolve) => workerFarm.end(farm, resolve)),
  };
}

export const peers = (options) => [workerpoolPeer(options), tinypoolPeer(options), workerFarmPeer(options)];

/** Starts every contender, runs `body`, and closes them all, even when `body` throws. */
export async function withPools(contenders, body) {
  await Promise.all(contenders.map((contender) => contender.start()));
  try {
    return await body();
  } finally {
    await Promise.all(contenders.map((contender) => contender.close()));
  }
}

/** Runs `count` tasks at once (each pool queues what its workers cannot take yet). */
export async function runAll(contender, count, payload) {
  const lengths = await Promise.all(Array.from({ length: count }, () => contender.run(payload)));
  if (lengths.some((length) => length !== payload.length)) throw new Error(`${contender.name}: an echo came back with the wrong length`);
}
