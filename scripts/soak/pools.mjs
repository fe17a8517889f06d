// Pools under chaos: a generation of a pool lives for a while with tasks kept in flight, while
// its workers are SIGKILLed or SIGSTOPped (then SIGCONTed) at random; then it is closed and the
// next generation starts. Every task must settle: fulfilled with its own payload, or rejected
// with a reported error. A task still pending long after its pool stopped taking work is lost.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'process-spawner';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js');
const IN_FLIGHT = 16;
const SETTLE_TIMEOUT_MS = 60_000;

export function createPoolCounters() {
  return { pools: 0, workersSpawned: 0, tasksDone: 0, tasksFailed: 0, tasksLost: 0, tasksWrong: 0, kills: 0, stops: 0 };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** True while `pid` is still one of this pool's workers (not reaped, not reused by another process). */
function isOurWorker(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(WORKER);
  } catch {
    return false;
  }
}

function signal(pid, name) {
  if (!isOurWorker(pid)) return false;
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

async function chaos(pool, { generationRunning, counters, random }) {
  const stopped = new Set();
  while (generationRunning()) {
    await sleep(random.int(200, 1500));
    const pids = pool
      .stats()
      .workers.map((worker) => worker.pid)
      .filter((pid) => pid !== null);
    if (pids.length === 0) continue;
    const pid = random.pick(pids);
    if (random.next() < 0.7) {
      if (signal(pid, 'SIGKILL')) counters.kills++;
    } else if (signal(pid, 'SIGSTOP')) {
      counters.stops++;
      stopped.add(pid);
      setTimeout(() => {
        signal(pid, 'SIGCONT');
        stopped.delete(pid);
      }, random.int(50, 1500));
    }
  }
  for (const pid of stopped) signal(pid, 'SIGCONT');
}

async function submitTasks(pool, { generationRunning, counters, failures, random }) {
  const pending = new Set();
  let nextId = 0;
  while (generationRunning()) {
    if (pending.size >= IN_FLIGHT) {
      await Promise.race([...pending, sleep(100)]); // a stalled pool must not stall the soak
      continue;
    }
    const payload = JSON.stringify({ id: nextId++, sleepMs: random.pick([0, 0, 1, 5, 20, 100]) });
    const task = pool.run(payload).then(
      (result) => {
        if (result.toString() === payload) counters.tasksDone++;
        else {
          counters.tasksWrong++;
          failures.push(`pool: task ${payload} answered ${result.toString().slice(0, 80)}`);
        }
      },
      async () => {
        counters.tasksFailed++; // reported: the pool gave up on it (kills, retries, degraded)
        await sleep(10);
      },
    );
    const tracked = task.finally(() => pending.delete(tracked));
    pending.add(tracked);
  }
  return pending;
}

/** Waits for the tasks still pending; those that never settle are lost. */
async function settleAll(pending, counters, failures) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (pending.size > 0 && Date.now() < deadline) await Promise.race([...pending, sleep(100)]);
  if (pending.size > 0) {
    counters.tasksLost += pending.size;
    failures.push(`pool: ${pending.size} tasks never settled`);
  }
}

async function oneGeneration(spawnMethod, context) {
  const { counters, failures, random, running } = context;
  const pool = new Pool({
    command: process.execPath,
    args: [WORKER],
    size: 2,
    spawnMethod,
    retries: 2,
    heartbeatIntervalMs: 500,
    heartbeatTimeoutMs: 1000,
    stderr: 'ignore',
  });
  pool.on('spawn', () => counters.workersSpawned++);
  pool.on('error', () => {}); // reported through the tasks; the soak counts them there
  await pool.start();
  counters.pools++;
  const endsAt = Date.now() + random.int(20_000, 60_000);
  const generationRunning = () => running() && Date.now() < endsAt;
  const generation = { ...context, generationRunning };
  const [pending] = await Promise.all([submitTasks(pool, generation), chaos(pool, generation)]);
  await settleAll(pending, counters, failures);
  let closeTimer;
  const closed = await Promise.race([
    pool.close().then(() => true),
    new Promise((resolve) => (closeTimer = setTimeout(() => resolve(false), SETTLE_TIMEOUT_MS))),
  ]);
  clearTimeout(closeTimer);
  if (!closed) {
    failures.push(`pool (${spawnMethod}): close() did not finish in ${SETTLE_TIMEOUT_MS} ms`);
    pool.kill();
  }
}

export async function poolLoop(spawnMethod, context) {
  while (context.running()) {
    try {
      await oneGeneration(spawnMethod, context);
    } catch (error) {
      context.failures.push(`pool (${spawnMethod}): ${error}`);
      await sleep(1000);
    }
  }
}
