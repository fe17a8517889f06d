export interface KillStorm {
  /** Ends the storm if it is still blowing; returns the number of kills. */
  stop(): number;
}

export function startKillStorm(
  pool: { stats(): { workers: { pid: number | null }[] } },
  options: { intervalMs: number; stormMs: number },
): KillStorm;
