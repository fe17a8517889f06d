// What the soak watches in /proc: its own fds, its child processes, its memory after a GC.
import { readdirSync, readFileSync } from 'node:fs';

export function openFdCount() {
  return readdirSync('/proc/self/fd').length;
}

/** Our child processes by state letter: { total, zombies }. */
export function children() {
  let total = 0;
  let zombies = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) !== process.pid) continue;
    total++;
    if (fields[0] === 'Z') zombies++;
  }
  return { total, zombies };
}

/** RSS and heap in MiB, measured after a full GC (node --expose-gc). */
export function memoryAfterGc() {
  globalThis.gc?.();
  const usage = process.memoryUsage();
  return { rssMiB: usage.rss / 2 ** 20, heapMiB: usage.heapUsed / 2 ** 20 };
}
