// spawn() as node:child_process has it, on top of ours: failures Node reports as events become
// events, `timeout` and `signal` kill with `killSignal`.
import { accessSync, constants, statSync } from 'node:fs';
import { DEFAULT_PATH, execPathCandidates } from '../options';
import { spawn as spawnSubprocess } from '../spawn';
import type { Subprocess } from '../subprocess';
import { SpawnError } from '../errors';
import { ChildProcess } from './child-process';
import { AbortError, errnoException } from './errors';
import { normalizeSpawnArguments, type NodeSpawnOptions, type SpawnCall } from './normalize';

// The errors Node emits as 'error' a tick later; any other one is thrown by spawn() itself.
const EMITTED_ERRORS = new Set(['EACCES', 'EAGAIN', 'EMFILE', 'ENFILE', 'ENOENT']);

export function spawn(command: string, options?: NodeSpawnOptions): ChildProcess;
export function spawn(command: string, args?: readonly string[], options?: NodeSpawnOptions): ChildProcess;
export function spawn(
  command: string,
  argsOrOptions?: readonly string[] | NodeSpawnOptions,
  options?: NodeSpawnOptions,
): ChildProcess {
  const call = normalizeSpawnArguments(command, argsOrOptions, options);
  const child = start(call);
  if (call.timeout > 0) killAfterTimeout(child, call.timeout, call.killSignal);
  if (call.signal !== undefined) killOnAbort(child, call.signal, call.killSignal);
  return child;
}

function start(call: SpawnCall): ChildProcess {
  try {
    return new ChildProcess(call.file, call.spawnargs, { subprocess: spawnOrRunAsScript(call) });
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    // Node: ENOTDIR for a cwd that is a file, or EPERM for a uid we may not take, is thrown
    // as `spawn ENOTDIR` without path or arguments.
    if (!EMITTED_ERRORS.has(error.code)) throw errnoException(error.errno, 'spawn', error);
    const failure = errnoException(error.errno, `spawn ${call.file}`, error);
    failure.path = call.file;
    failure.spawnargs = call.spawnargs.slice(1);
    if (error.childStep !== undefined) failure.childStep = error.childStep;
    return new ChildProcess(call.file, call.spawnargs, { failure, pipes: call.pipes });
  }
}

// glibc's execvp, which Node's libuv uses, runs a file that execve rejects with ENOEXEC (no #!
// line) as a /bin/sh script. Our spawn() reports ENOEXEC instead; the drop-in does what execvp does.
function spawnOrRunAsScript(call: SpawnCall): Subprocess {
  try {
    return spawnSubprocess(call.file, call.args, call.options);
  } catch (error) {
    if (!(error instanceof SpawnError) || error.code !== 'ENOEXEC') throw error;
    const script = executableCandidate(call);
    if (script === null) throw error;
    return spawnSubprocess('/bin/sh', [script, ...call.args], { ...call.options, argv0: '/bin/sh' });
  }
}

// The candidate execve rejected: the first of the PATH candidates that is an executable file.
export function executableCandidate(call: SpawnCall): string | null {
  const pathVariable = (call.options.env ?? process.env)['PATH'] ?? DEFAULT_PATH;
  for (const candidate of execPathCandidates(call.file, pathVariable)) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not this one: execve moved on too.
    }
  }
  return null;
}

// No escalation, as in Node: a child that survives killSignal keeps running.
function killAfterTimeout(child: ChildProcess, timeout: number, killSignal: number): void {
  const timer = setTimeout(() => {
    try {
      child.kill(killSignal);
    } catch (error) {
      child.emit('error', error);
    }
  }, timeout);
  child.once('exit', () => clearTimeout(timer));
}

function killOnAbort(child: ChildProcess, signal: AbortSignal, killSignal: number): void {
  const onAbort = (): void => {
    try {
      if (child.kill(killSignal)) child.emit('error', new AbortError(undefined, { cause: signal.reason }));
    } catch (error) {
      child.emit('error', error);
    }
  };
  if (signal.aborted) {
    process.nextTick(onAbort);
    return;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  child.once('exit', () => signal.removeEventListener('abort', onAbort));
}
