// The POSIX settings of a spawn: session and process group, credentials, umask, resource
// limits, fds, signals and the parent-death signal. Validated here, before any syscall, and
// applied by the child between fork and exec (native/child/child.cc), each step reporting its own
// `childStep` when it fails.
import { native, type NativeProcessSettings } from './native';
import { toSignalNumber, type SignalInput } from './signals';
import { assertIntegerInRange, describeValue } from './validate';

/** A limit: soft and hard alike, or `[soft, hard]`; `Infinity` is RLIM_INFINITY. */
export type RlimitValue = number | readonly [soft: number, hard: number];
export type RlimitName =
  | 'as' | 'core' | 'cpu' | 'data' | 'fsize' | 'locks' | 'memlock' | 'msgqueue'
  | 'nice' | 'nofile' | 'nproc' | 'rss' | 'rtprio' | 'rttime' | 'sigpending' | 'stack';

export interface ProcessSettings {
  /** `setsid()`: a new session and process group, led by the child (Node's `detached`). */
  detached?: boolean;
  /** The same as `detached`. */
  newSession?: boolean;
  /** `setpgid(0, processGroup)`: 0 puts the child in a new group of its own, n joins group n. */
  processGroup?: number;
  /** Credentials, applied in the order setgroups, setgid, setuid (usually needs root). */
  uid?: number;
  gid?: number;
  groups?: readonly number[];
  /** `umask()` in the child, e.g. 0o027. */
  umask?: number;
  /** `setrlimit()` per resource, e.g. `{ nofile: 256, core: [0, Infinity] }`. */
  rlimits?: Partial<Record<RlimitName, RlimitValue>>;
  /** Close every fd above the stdio slots, CLOEXEC or not (default true). */
  closeFds?: boolean;
  /** `F_SETPIPE_SZ` on each stdio pipe, in bytes (the kernel rounds up to a power of two pages). */
  pipeSize?: number;
  /**
   * Default true: every signal at its default disposition (SIGPIPE and SIGXFSZ included) and an
   * empty mask. False: ignored signals stay ignored and the mask is the spawning thread's.
   * Handlers are reset either way: they cannot survive exec.
   */
  restoreSignals?: boolean;
  /** Signals blocked when the program starts. */
  signalMask?: readonly SignalInput[];
  /** `PR_SET_PDEATHSIG`: the signal the child gets when the thread that spawned it exits. */
  parentDeathSignal?: SignalInput;
}

/** The group that `killGroup()` signals: the child's own, another, or none of its own. */
export type GroupOfChild = { kind: 'own' } | { kind: 'joined'; pgid: number } | { kind: 'parent' };

const MAX_ID = 0xfffffffe; // (uid_t)-1 means "unchanged" to the kernel
const NOT_SET = -1;

export function validateProcessSettings(options: ProcessSettings): NativeProcessSettings {
  const newSession = optionalBoolean(options.detached, 'detached') || optionalBoolean(options.newSession, 'newSession');
  const processGroup = optionalInteger(options.processGroup, 'processGroup', 0, 0x7fffffff);
  if (newSession && processGroup !== NOT_SET) {
    throw new TypeError('The `processGroup` option cannot be combined with `detached`/`newSession`: setsid already makes a new group');
  }
  return {
    newSession,
    processGroup,
    uid: optionalInteger(options.uid, 'uid', 0, MAX_ID),
    gid: optionalInteger(options.gid, 'gid', 0, MAX_ID),
    groups: validateGroups(options.groups),
    umask: optionalInteger(options.umask, 'umask', 0, 0o777),
    rlimits: validateRlimits(options.rlimits),
    closeFds: options.closeFds === undefined ? true : optionalBoolean(options.closeFds, 'closeFds'),
    pipeSize: optionalInteger(options.pipeSize, 'pipeSize', 1, 0x7fffffff),
    restoreSignals: options.restoreSignals === undefined ? true : optionalBoolean(options.restoreSignals, 'restoreSignals'),
    signalMask: validateSignalMask(options.signalMask),
    parentDeathSignal: options.parentDeathSignal === undefined ? 0 : validateDeathSignal(options.parentDeathSignal),
  };
}

export function groupOfChild(settings: NativeProcessSettings): GroupOfChild {
  if (settings.newSession || settings.processGroup === 0) return { kind: 'own' };
  if (settings.processGroup > 0) return { kind: 'joined', pgid: settings.processGroup };
  return { kind: 'parent' };
}

function optionalBoolean(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`Expected the \`${name}\` option to be a boolean, got ${describeValue(value)}`);
  return value;
}

function optionalInteger(value: unknown, name: string, min: number, max: number): number {
  if (value === undefined) return NOT_SET;
  assertIntegerInRange(value, `the \`${name}\` option`, min, max);
  return value;
}

function validateGroups(groups: unknown): number[] | null {
  if (groups === undefined) return null;
  if (!Array.isArray(groups)) throw new TypeError(`Expected the \`groups\` option to be an array of group ids, got ${describeValue(groups)}`);
  return groups.map((group: unknown, index) => {
    assertIntegerInRange(group, `\`groups[${index}]\``, 0, MAX_ID);
    return group;
  });
}

// Flattened for the addon: [resource, soft, hard, ...].
function validateRlimits(rlimits: unknown): number[] | null {
  if (rlimits === undefined) return null;
  if (typeof rlimits !== 'object' || rlimits === null || Array.isArray(rlimits)) {
    throw new TypeError(`Expected the \`rlimits\` option to be an object like { nofile: 256 }, got ${describeValue(rlimits)}`);
  }
  const flat: number[] = [];
  for (const [name, value] of Object.entries(rlimits)) {
    const resource = native.rlimitResources[name];
    if (resource === undefined) {
      throw new RangeError(`Unknown resource \`${name}\` in the \`rlimits\` option; known: ${Object.keys(native.rlimitResources).join(', ')}`);
    }
    const [soft, hard] = Array.isArray(value) ? value : [value, value];
    const what = `\`rlimits.${name}\``;
    if (!isLimit(soft) || !isLimit(hard)) {
      throw new TypeError(`Expected ${what} to be a non-negative integer, Infinity, or [soft, hard] of those, got ${describeValue(value)}`);
    }
    if (soft > hard) throw new RangeError(`Expected ${what} to have soft <= hard, got [${soft}, ${hard}]`);
    flat.push(resource, soft, hard);
  }
  return flat;
}

function isLimit(value: unknown): value is number {
  return value === Infinity || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);
}

function validateSignalMask(mask: unknown): number[] | null {
  if (mask === undefined) return null;
  if (!Array.isArray(mask)) throw new TypeError(`Expected the \`signalMask\` option to be an array of signals, got ${describeValue(mask)}`);
  return mask.map((signal: unknown) => {
    const number = toSignalNumber(signal, 'signalMask');
    if (number === 0) throw new RangeError('Expected the `signalMask` option to hold real signals, got 0');
    return number;
  });
}

function validateDeathSignal(signal: unknown): number {
  const number = toSignalNumber(signal, 'parentDeathSignal');
  if (number === 0) throw new RangeError('Expected the `parentDeathSignal` option to be a real signal, got 0');
  return number;
}
