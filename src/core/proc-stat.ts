// /proc/<pid>/stat: whether a process is stopped (the pool's busy workers, the command's child),
// who the command's children are, its process group.
import { readFileSync } from 'node:fs';

/**
 * The fields of /proc/<pid>/stat after the command name (index 0 is the state, 1 the ppid, 2 the
 * process group), or null once the process is gone. The name is in parentheses and may hold
 * anything, spaces and parentheses too: the fields start after its last ')'.
 */
export function procStatFields(pid: number | 'self'): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
