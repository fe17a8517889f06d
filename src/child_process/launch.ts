// Starting the process of a ChildProcess with our spawn(), and sorting its failures as Node does:
// the errors Node emits a tick later become a failure to report, any other one is thrown.
import { accessSync, constants, statSync } from 'node:fs';
import { SpawnError } from '../core/errors';
import { DEFAULT_PATH, execPathCandidates, type SpawnOptions } from '../core/options';
import { spawn as spawnSubprocess } from '../core/spawn';
import type { Subprocess } from '../core/subprocess';
import { errnoException, type ErrnoError } from './errors';
import type { SpawnCall } from './normalize';

// The errors Node emits as 'error' a tick later; any other one is thrown by spawn() itself.
const EMITTED_ERRORS = new Set(['EACCES', 'EAGAIN', 'EMFILE', 'ENFILE', 'ENOENT']);

export type LaunchOutcome = { subprocess: Subprocess } | { failure: ErrnoError };

export function launch(call: SpawnCall): LaunchOutcome {
  try {
    return { subprocess: startOrRunAsScript(call, spawnSubprocess) };
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    // Node: ENOTDIR for a cwd that is a file, or EPERM for a uid we may not take, is thrown
    // as `spawn ENOTDIR` without path or arguments.
    if (!EMITTED_ERRORS.has(error.code)) throw errnoException(error.errno, 'spawn', error);
    return { failure: callFailure('spawn', error.errno, call, error) };
  }
}

/** `spawn <file> <CODE>` (or `spawnSync ...`) with Node's errno, path and spawnargs, and our childStep. */
export function callFailure(syscall: 'spawn' | 'spawnSync', errno: number, call: SpawnCall, cause?: SpawnError): ErrnoError {
  const failure = errnoException(errno, `${syscall} ${call.file}`, cause);
  failure.path = call.file;
  failure.spawnargs = call.spawnargs.slice(1);
  if (cause?.childStep !== undefined) failure.childStep = cause.childStep;
  return failure;
}

// glibc's execvp, which Node's libuv uses, runs a file that execve rejects with ENOEXEC (no #!
// line) as a /bin/sh script. Our spawn() reports ENOEXEC instead; the drop-in does what execvp does,
// with spawn() here and with the synchronous spawn in spawnSync().
export function startOrRunAsScript<T>(call: SpawnCall, start: (file: string, args: string[], options: SpawnOptions) => T): T {
  try {
    return start(call.file, call.args, call.options);
  } catch (error) {
    if (!(error instanceof SpawnError) || error.code !== 'ENOEXEC') throw error;
    const script = executableCandidate(call);
    if (script === null) throw error;
    return start('/bin/sh', [script, ...call.args], { ...call.options, argv0: '/bin/sh' });
  }
}

// The candidate execve rejected: the first of the PATH candidates that is an executable file.
function executableCandidate(call: SpawnCall): string | null {
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
