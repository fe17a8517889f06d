// The killer of the kill storm, shared by scripts/pool/kill-storm.mjs and test/pool/kill-storm.test.ts:
// every `intervalMs` for `stormMs`, one SIGKILL at a worker of `pool` chosen at random among those
// with a process (starting, idle or busy).
export function startKillStorm(pool, { intervalMs, stormMs }) {
  let kills = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    if (Date.now() - started >= stormMs) {
      clearInterval(timer);
      return;
    }
    const pids = pool.stats().workers.flatMap((worker) => (worker.pid === null ? [] : [worker.pid]));
    const pid = pids[Math.floor(Math.random() * pids.length)];
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGKILL');
      kills++;
    } catch {
      // Reaped between stats() and kill().
    }
  }, intervalMs);
  return {
    /** Ends the storm if it is still blowing; returns the number of kills. */
    stop() {
      clearInterval(timer);
      return kills;
    },
  };
}
