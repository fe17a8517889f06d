// The synchronous spawn both runSync() and the drop-in's spawnSync() stand on: a validated spawn
// plan goes to the addon's loop (native/parent/sync.cc), which clones, feeds stdin, collects the
// outputs, enforces the deadline and the output limit, and reaps the child through the pidfd its
// clone returned. The child is never handed to the reaper: the loop that made it reaps it, and
// nothing else.
import { native, type NativeSyncLimits, type NativeSyncRun } from './native';
import type { SpawnPlan } from './options';
import { spawnErrorFrom } from './spawn';

// The loop's bounds and its result, as the addon takes and gives them.
export type { NativeSyncLimits, NativeSyncRun } from './native';

/** Runs the plan to its end. A failed spawn throws the same SpawnError spawn() throws. */
export function spawnSyncPlan(plan: SpawnPlan, limits: NativeSyncLimits): NativeSyncRun {
  const outcome = native.spawnSync(plan.request, limits);
  if ('output' in outcome) return outcome;
  throw spawnErrorFrom(outcome, plan);
}
