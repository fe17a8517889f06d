// Arguments and options of node:child_process, checked with Node's own rules and messages and
// turned into a call of our spawn(). Follows Node 20's normalizeSpawnArguments and getValidStdio:
// apply defaults, validate, interpret.
import type { SpawnOptions as NodeSpawnOptions } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SpawnOptions, StdioSlot } from '../options';
import { invalidArgType, invalidArgValue, outOfRange, unknownSignal, unsupportedStdio } from './errors';

export type { SpawnOptions as NodeSpawnOptions } from 'node:child_process';

/** One call of spawn(), normalised. */
export interface SpawnCall {
  /** The program to run: the shell when `shell` is set. */
  file: string;
  /** Its arguments, without argv[0]. */
  args: string[];
  /** argv as the child sees it, argv[0] included: ChildProcess.spawnargs. */
  spawnargs: string[];
  /** For our spawn(), with the shell already applied. */
  options: SpawnOptions;
  /** Which stdio slots are pipes: their streams exist even when the spawn fails. */
  pipes: boolean[];
  timeout: number;
  killSignal: number;
  signal: AbortSignal | undefined;
}

export const DEFAULT_SHELL = '/bin/sh';

export function normalizeSpawnArguments(file: unknown, argsOrOptions: unknown, maybeOptions: unknown): SpawnCall {
  const validFile = validateString(file, 'file');
  if (validFile.length === 0) throw invalidArgValue('file', validFile, 'cannot be empty');
  let args: string[];
  let options: unknown = maybeOptions;
  if (Array.isArray(argsOrOptions)) {
    // Node's addon turns each argument into a string; null bytes are checked first.
    args = argsOrOptions.map((arg: unknown, index) => String(validateNoNul(arg, `args[${index}]`)));
  } else if (argsOrOptions === undefined || argsOrOptions === null) {
    args = [];
  } else if (typeof argsOrOptions !== 'object') {
    throw invalidArgType('args', 'of type object', argsOrOptions);
  } else {
    args = [];
    options = argsOrOptions;
  }
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw invalidArgType('options', 'of type object', options);
  }
  return interpret(validFile, args, validateOptions((options ?? {}) as NodeSpawnOptions));
}

interface ValidOptions {
  cwd: string | URL | undefined;
  env: Record<string, string> | undefined;
  argv0: string | undefined;
  shell: string | undefined;
  detached: boolean;
  uid: number | undefined;
  gid: number | undefined;
  stdio: StdioSlot[];
  timeout: number;
  killSignal: number;
  signal: AbortSignal | undefined;
}

function validateOptions(options: NodeSpawnOptions): ValidOptions {
  if (options.detached != null) validateBoolean(options.detached, 'options.detached');
  if (options.windowsHide != null) validateBoolean(options.windowsHide, 'options.windowsHide');
  const verbatim = (options as { windowsVerbatimArguments?: unknown }).windowsVerbatimArguments;
  if (verbatim != null) validateBoolean(verbatim, 'options.windowsVerbatimArguments');
  const shell: unknown = options.shell;
  if (shell != null && typeof shell !== 'boolean' && typeof shell !== 'string') {
    throw invalidArgType('options.shell', 'one of type boolean or string', shell);
  }
  return {
    cwd: options.cwd == null ? undefined : validateCwd(options.cwd),
    env: options.env == null ? undefined : envFor(options.env),
    argv0: options.argv0 == null ? undefined : validateString(options.argv0, 'options.argv0'),
    // '' and false mean no shell, as in Node.
    shell: shell === true ? DEFAULT_SHELL : shell ? validateString(shell, 'options.shell') : undefined,
    detached: options.detached === true,
    uid: options.uid == null ? undefined : validateInt32(options.uid, 'options.uid'),
    gid: options.gid == null ? undefined : validateInt32(options.gid, 'options.gid'),
    stdio: validateStdio(options.stdio),
    timeout: validateTimeout(options.timeout),
    killSignal: options.killSignal == null ? SIGTERM : sanitizeKillSignal(options.killSignal),
    signal: validateAbortSignal(options.signal),
  };
}

function interpret(file: string, args: string[], options: ValidOptions): SpawnCall {
  // As Node: with a shell, the file and its arguments are joined with spaces, unquoted.
  const [shellFile, shellArgs] = options.shell === undefined ? [file, args] : [options.shell, ['-c', [file, ...args].join(' ')]];
  const forwarded: SpawnOptions = { stdio: options.stdio };
  if (options.cwd !== undefined) forwarded.cwd = options.cwd;
  if (options.env !== undefined) forwarded.env = options.env;
  if (options.argv0 !== undefined) forwarded.argv0 = options.argv0;
  if (options.detached) forwarded.detached = true;
  if (options.uid !== undefined) forwarded.uid = options.uid;
  if (options.gid !== undefined) forwarded.gid = options.gid;
  return {
    file: shellFile,
    args: shellArgs,
    spawnargs: [options.argv0 ?? shellFile, ...shellArgs],
    options: forwarded,
    pipes: options.stdio.map((slot) => slot === 'pipe'),
    timeout: options.timeout,
    killSignal: options.killSignal,
    signal: options.signal,
  };
}

/** Node's getValidStdio, for what we can offer: no IPC channel, no stream without an fd. */
function validateStdio(stdio: unknown): StdioSlot[] {
  if (stdio === undefined || stdio === null) return ['pipe', 'pipe', 'pipe'];
  if (typeof stdio === 'string') {
    if (stdio === 'pipe' || stdio === 'overlapped') return ['pipe', 'pipe', 'pipe'];
    if (stdio === 'ignore') return ['ignore', 'ignore', 'ignore'];
    if (stdio === 'inherit') return ['inherit', 'inherit', 'inherit'];
    throw invalidArgValue('stdio', stdio);
  }
  if (!Array.isArray(stdio)) throw invalidArgValue('stdio', stdio);
  const slots: StdioSlot[] = [];
  for (let i = 0; i < Math.max(3, stdio.length); i++) slots.push(validateSlot(stdio[i], i));
  // libuv leaves an ignored fd above 2 closed, which is what closing the unlisted fds gives.
  while (slots.length > 3 && slots[slots.length - 1] === 'ignore') slots.pop();
  return slots;
}

function validateSlot(slot: unknown, index: number): StdioSlot {
  if (slot === undefined || slot === null) return index < 3 ? 'pipe' : 'ignore';
  if (slot === 'pipe' || slot === 'overlapped' || (typeof slot === 'number' && slot < 0)) return 'pipe';
  if (slot === 'ignore' || slot === 'inherit') return slot;
  if (typeof slot === 'number') return slot;
  const fd = typeof slot === 'object' ? (slot as { fd?: unknown }).fd : undefined;
  if (typeof fd === 'number' && fd >= 0) return fd;
  if (slot === 'ipc' || typeof slot === 'object') throw unsupportedStdio(index, slot);
  throw invalidArgValue('stdio', slot);
}

/** Node: `options.env || process.env`, inherited keys included, values stringified. */
function envFor(env: NodeJS.ProcessEnv): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const key in env) {
    const value: unknown = env[key];
    if (value === undefined) continue;
    validateNoNul(key, `options.env['${key}']`);
    pairs[key] = validateNoNul(String(value), `options.env['${key}']`) as string;
  }
  // NODE_V8_COVERAGE always propagates, so that coverage of spawned Node programs is collected.
  const coverage = process.env['NODE_V8_COVERAGE'];
  if (coverage && !Object.hasOwn(env, 'NODE_V8_COVERAGE')) pairs['NODE_V8_COVERAGE'] = coverage;
  return pairs;
}

function validateCwd(cwd: unknown): string | URL {
  if (cwd instanceof URL) return validateNoNul(fileURLToPath(cwd), 'options.cwd') as string;
  if (Buffer.isBuffer(cwd)) return validateNoNul(cwd.toString(), 'options.cwd') as string;
  if (typeof cwd !== 'string') throw invalidArgType('options.cwd', 'of type string or an instance of Buffer or URL', cwd);
  return validateNoNul(cwd, 'options.cwd') as string;
}

export function validateTimeout(timeout: unknown): number {
  if (timeout == null) return 0;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0) {
    throw outOfRange('timeout', 'an unsigned integer', timeout);
  }
  return timeout;
}

/** Nothing given (an explicit undefined included) is no limit, as in Node. */
export function validateMaxBuffer(maxBuffer: unknown): number {
  if (maxBuffer == null) return Infinity;
  if (typeof maxBuffer !== 'number' || !(maxBuffer >= 0)) throw outOfRange('options.maxBuffer', 'a positive number', maxBuffer);
  return maxBuffer;
}

const SIGTERM = constants.signals.SIGTERM;
const signalNumbers = constants.signals as Readonly<Record<string, number>>;
const knownSignalNumbers = new Set(Object.values(signalNumbers));

/** Node's convertToValidSignal: a known number, or a name in any case; else ERR_UNKNOWN_SIGNAL. */
export function convertToValidSignal(signal: unknown): number {
  if (typeof signal === 'number' && knownSignalNumbers.has(signal)) return signal;
  if (typeof signal === 'string') {
    const name = signal.toUpperCase();
    if (Object.hasOwn(signalNumbers, name)) return signalNumbers[name] as number;
  }
  throw unknownSignal(signal);
}

export function sanitizeKillSignal(killSignal: unknown): number {
  if (typeof killSignal === 'string' || typeof killSignal === 'number') return convertToValidSignal(killSignal);
  throw invalidArgType('options.killSignal', 'one of type string or number', killSignal);
}

function validateAbortSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  }
  return signal as AbortSignal;
}

export function validateString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  return validateNoNul(value, name) as string;
}

function validateBoolean(value: unknown, name: string): void {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
}

function validateInt32(value: unknown, name: string): number {
  if (typeof value !== 'number' || (value | 0) !== value) throw invalidArgType(name, 'int32', value);
  return value;
}

function validateNoNul(value: unknown, name: string): unknown {
  if (typeof value === 'string' && value.includes('\0')) {
    throw invalidArgValue(name, value, 'must be a string without null bytes');
  }
  return value;
}
