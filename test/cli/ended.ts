// What the CLI tests check once a run is over: nothing it started is still alive.
import { expect } from 'vitest';
import { allProcesses, eventually } from '../helpers/leaks';

/**
 * Waits until no live process (zombies aside: they are their parent's to reap) has its pid in
 * `ids` (`by: 'pid'`), or is in a process group led by one of them (`by: 'pgrp'`).
 */
export function expectAllEnded(ids: readonly number[], by: 'pid' | 'pgrp'): Promise<void> {
  return eventually(() => expect(allProcesses().filter((stat) => ids.includes(stat[by]) && stat.state !== 'Z')).toEqual([]));
}
