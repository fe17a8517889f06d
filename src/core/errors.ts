// The errors of the core. ProcessSpawnerError is the base of every error the library raises about
// a process or a syscall (run/errors.ts, pool/errors.ts and protocol/errors.ts extend it).
// SpawnError is shaped like Node's own errno errors:
//   Error: spawn ./nope ENOENT  { errno: -2, code: 'ENOENT', syscall: 'spawn ./nope', path, spawnargs }
// plus what Node cannot tell: the step in the child that failed, and how the failed child ended.
import { constants } from 'node:os';
import type { ChildStep } from './child-steps';

export type { ChildStep } from './child-steps';

export interface SpawnErrorDetails {
  /** A positive errno value, as the syscall set it. */
  errno: number;
  syscall: string;
  path?: string;
  spawnargs?: string[];
  childStep?: ChildStep;
  /** For a failure in the child: the child's pid, raw wait status and exit code (127 or 126). */
  pid?: number;
  status?: number;
  exitCode?: number | null;
  detail?: string;
}

/** The base of every error this library raises about a process or a syscall. */
export class ProcessSpawnerError extends Error {}
ProcessSpawnerError.prototype.name = 'ProcessSpawnerError';

export class SpawnError extends ProcessSpawnerError {
  /** Negative, as in Node: `util.getSystemErrorName(error.errno) === error.code`. */
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  readonly path?: string;
  readonly spawnargs?: string[];
  readonly childStep?: ChildStep;
  readonly pid?: number;
  readonly status?: number;
  readonly exitCode?: number | null;

  constructor(details: SpawnErrorDetails) {
    const code = errnoCode(details.errno);
    const where = details.childStep === undefined ? '' : ` (${details.childStep}${details.detail ?? ''})`;
    super(`${details.syscall} ${code}${where}`);
    this.errno = -details.errno;
    this.code = code;
    this.syscall = details.syscall;
    if (details.path !== undefined) this.path = details.path;
    if (details.spawnargs !== undefined) this.spawnargs = details.spawnargs;
    if (details.childStep !== undefined) this.childStep = details.childStep;
    if (details.pid !== undefined) this.pid = details.pid;
    if (details.status !== undefined) this.status = details.status;
    if (details.exitCode !== undefined) this.exitCode = details.exitCode;
  }
}
SpawnError.prototype.name = 'SpawnError';

/** The addon could not be loaded: the message says what is missing, why, and how to fix it. */
export class AddonLoadError extends ProcessSpawnerError {
  readonly code = 'ERR_ADDON_NOT_LOADED';
}
AddonLoadError.prototype.name = 'AddonLoadError';

// From the platform's own table: libuv's name table lacks some (ENOEXEC among them).
const errnoNames = new Map<number, string>();
for (const [name, number] of Object.entries(constants.errno)) {
  if (!errnoNames.has(number)) errnoNames.set(number, name);
}

/** 'ENOENT' for 2 (or -2); an errno the platform does not name becomes `E<number>`. */
export function errnoCode(errno: number): string {
  const number = Math.abs(errno);
  return errnoNames.get(number) ?? `E${number}`;
}
