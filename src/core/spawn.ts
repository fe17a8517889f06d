// spawn(): validate, fork and exec through the addon, and wrap the result in a Subprocess.
import { performance } from 'node:perf_hooks';
import { debuglog } from 'node:util';
import { native, STDIO_SOCKET, type NativeChildFailure, type NativeSpawnOutcome } from './native';
import { planSpawn, type SpawnOptions, type SpawnPlan } from './options';
import { reaper } from './reaper';
import { toChildStep } from './child-steps';
import { SpawnError } from './errors';
import { stopReadingForChild } from './streams';
import { Subprocess } from './subprocess';

export function spawn(file: string, args?: readonly string[], options?: SpawnOptions): Subprocess;
export function spawn(file: string, options?: SpawnOptions): Subprocess;
export function spawn(
  file: string,
  argsOrOptions?: readonly string[] | SpawnOptions,
  maybeOptions?: SpawnOptions,
): Subprocess {
  const [args, options] = Array.isArray(argsOrOptions) ? [argsOrOptions, maybeOptions] : [undefined, argsOrOptions];
  const plan = planSpawn(file, args, options);
  reaper.prepare();
  const startedAt = performance.now();
  const outcome = native.spawn(plan.request);
  if (!('fds' in outcome)) throw spawnErrorFrom(outcome, plan);
  for (const stream of plan.sharedStreams) stopReadingForChild(stream);
  if (plan.request.vfork && outcome.spawnMethod === 'fork') noteForkFallback(plan);
  return new Subprocess({
    key: outcome.key,
    pid: outcome.pid,
    file: plan.file,
    argv: plan.request.argv,
    fds: outcome.fds,
    group: plan.group,
    startedAt,
    socketSlots: plan.request.stdio.map((code) => code === STDIO_SOCKET),
  });
}

// NODE_DEBUG=process-spawner shows when a vfork-method spawn forked instead: the credentials
// change, or the kernel refused the shared-memory clone (once refused, every later spawn forks).
const debug = debuglog('process-spawner');

function noteForkFallback(plan: SpawnPlan): void {
  const { uid, gid, groups } = plan.request;
  const changesCredentials = uid >= 0 || gid >= 0 || groups !== null;
  debug('spawn %s: forked instead of vfork (%s)', plan.file, changesCredentials ? 'uid/gid/groups set' : 'clone(CLONE_VM|CLONE_VFORK) refused');
}

export function spawnErrorFrom(outcome: Exclude<NativeSpawnOutcome, { fds: number[] }>, plan: SpawnPlan): SpawnError {
  const common = { errno: outcome.errno, path: plan.file, spawnargs: plan.args };
  if (!('childStep' in outcome)) return new SpawnError({ ...common, syscall: outcome.syscall });
  return childFailure(outcome, plan, common);
}

// The child reported a failed step through the error pipe, and the addon has already reaped it.
function childFailure(
  outcome: NativeChildFailure,
  plan: SpawnPlan,
  common: { errno: number; path: string; spawnargs: string[] },
): SpawnError {
  const step = toChildStep(outcome.childStep);
  return new SpawnError({
    ...common,
    syscall: `spawn ${plan.file}`,
    childStep: step,
    pid: outcome.pid,
    status: outcome.status,
    exitCode: outcome.exitCode,
    ...(step === 'chdir' && plan.request.cwd !== null ? { detail: ` '${plan.request.cwd}'` } : {}),
  });
}
