// Arguments and options of node:child_process, checked with Node's own rules and messages and
// turned into a call of our spawn(). Follows Node 20's normalizeSpawnArguments and getValidStdio:
// apply defaults, validate, interpret.
import type { SpawnOptions as NodeSpawnOptions } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ResolvedStdioSlot, SpawnOptions } from '../core/options';
import { fdOfStream } from '../core/streams';
import { ownOption, ownProperties } from '../core/validate';
import { invalidArgType, invalidArgValue, invalidSyncForkInput, ipcOnlyOne, ipcSyncFork, outOfRange, unknownSignal } from './errors';

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
  /** The slot of the IPC channel, if there is one. */
  ipc: number | undefined;
  /** How many slots were asked for (at least 3): the length of `child.stdio`. */
  stdioCount: number;
  serialization: Serialization;
  /** Streams whose fd the child gets: we stop reading them once it is spawned. */
  sharedStreams: object[];
  timeout: number;
  killSignal: number;
  signal: AbortSignal | undefined;
}

export const DEFAULT_SHELL = '/bin/sh';

export type Serialization = 'json' | 'advanced';

/** spawn() and its kin, or spawnSync() and its kin: the Sync ones check maxBuffer and refuse 'ipc'. */
export type SpawnMode = 'async' | 'sync';

export function normalizeSpawnArguments(file: unknown, argsOrOptions: unknown, maybeOptions: unknown, mode: SpawnMode = 'async'): SpawnCall {
  return normalizeSpawn(file, argsOrOptions, maybeOptions, mode).call;
}

/**
 * For spawn(): the call, and what Node's spawn() hands to `ChildProcess.prototype.spawn`, the
 * object of Node's normalizeSpawnArguments (the options given, with `file`, `args` with argv[0],
 * `cwd`, `detached`, `envPairs`, `windowsHide` and `windowsVerbatimArguments`). A wrapper of that
 * method (nyc's spawn-wrap, a tracer) sees what it sees under Node, and what it changes there is
 * what runs.
 */
export function normalizeSpawnForChildProcess(file: unknown, argsOrOptions: unknown, maybeOptions: unknown): { call: SpawnCall; processOptions: object } {
  const { call, valid, given } = normalizeSpawn(file, argsOrOptions, maybeOptions, 'async');
  const processOptions = Object.assign(Object.create(null) as Record<string, unknown>, given);
  processOptions['args'] = [...call.spawnargs];
  processOptions['cwd'] = valid.cwd;
  processOptions['detached'] = valid.detached;
  defineEnvPairs(processOptions, valid.env);
  processOptions['file'] = call.file;
  processOptions['windowsHide'] = given.windowsHide === true;
  processOptions['windowsVerbatimArguments'] = (given as { windowsVerbatimArguments?: unknown }).windowsVerbatimArguments === true;
  return { call, processOptions };
}

// Options objects from normalizeSpawnForChildProcess whose envPairs nobody has read or set. Node
// fills envPairs from process.env; reading it costs 20-70 µs, so it is made only when someone
// looks, and a child whose envPairs nobody touched gets the C environ as it is (core/options.ts,
// envpFor), which on the main thread is what process.env holds.
const envPairsUntouched = new WeakSet<object>();

function defineEnvPairs(options: Record<string, unknown>, env: Record<string, string> | undefined): void {
  if (env !== undefined) {
    options['envPairs'] = Object.entries(env).map(([key, value]) => `${key}=${value}`);
    return;
  }
  let pairs: unknown;
  envPairsUntouched.add(options);
  Object.defineProperty(options, 'envPairs', {
    get: () => {
      envPairsUntouched.delete(options);
      pairs ??= Object.entries(envFor(process.env)).map(([key, value]) => `${key}=${value}`);
      return pairs;
    },
    set: (value: unknown) => {
      envPairsUntouched.delete(options);
      pairs = value;
    },
    enumerable: true,
    configurable: true,
  });
}

function normalizeSpawn(
  file: unknown,
  argsOrOptions: unknown,
  maybeOptions: unknown,
  mode: SpawnMode,
): { call: SpawnCall; valid: ValidOptions; given: NodeSpawnOptions } {
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
  // Own properties only, as Node 20: an inherited option (a polluted Object.prototype) is none.
  const given = ownProperties((options ?? {}) as NodeSpawnOptions);
  const valid = validateOptions(given, mode);
  return { call: interpret(validFile, args, valid), valid, given };
}

/**
 * What `new ChildProcess().spawn(options)` takes in Node: the already-normalised form, with
 * `file`, `args` (argv[0] included) and `envPairs` ('KEY=value'; none: our environment).
 */
export function normalizeProcessOptions(options: unknown): SpawnCall {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArgType('options', 'of type object', options);
  const environ = envPairsUntouched.has(options);
  // Own properties only, and only those read here (reading envPairs would make it: see above).
  const own = (name: string): unknown => ownOption(options, name);
  const envPairs = environ ? undefined : own('envPairs');
  const stdio = own('stdio');
  // Node checks envPairs before the file when there is a channel (it adds NODE_CHANNEL_FD to them).
  if (Array.isArray(stdio) && stdio.includes('ipc') && envPairs !== undefined && !Array.isArray(envPairs)) {
    throw invalidArgType('options.envPairs', 'an instance of Array', envPairs);
  }
  const file = validateString(own('file'), 'options.file');
  const argv = own('args') === undefined ? [] : own('args');
  if (!Array.isArray(argv)) throw invalidArgType('options.args', 'an instance of Array', argv);
  const args = argv.map((arg: unknown, index) => String(validateNoNul(arg, `options.args[${index}]`)));
  const spawnOptions: Record<string, unknown> = {};
  for (const name of ['cwd', 'detached', 'uid', 'gid', 'stdio', 'serialization']) {
    if (own(name) !== undefined) spawnOptions[name] = own(name);
  }
  spawnOptions['argv0'] = args[0] ?? file;
  const valid = validateOptions(ownProperties(spawnOptions) as NodeSpawnOptions);
  valid.env = envFromPairs(envPairs);
  return interpret(file, args.slice(1), valid);
}

function envFromPairs(pairs: unknown): Record<string, string> | undefined {
  if (pairs === undefined) return undefined;
  if (!Array.isArray(pairs)) throw invalidArgType('options.envPairs', 'an instance of Array', pairs);
  const env: Record<string, string> = {};
  for (const pair of pairs as unknown[]) {
    const text = validateNoNul(String(pair), 'options.envPairs') as string;
    // As execve takes it: the name is what comes before the first '=' (an empty one too).
    const equals = text.indexOf('=');
    if (equals >= 0) env[text.slice(0, equals)] = text.slice(equals + 1);
  }
  return env;
}

interface ValidOptions {
  cwd: string | URL | undefined;
  env: Record<string, string> | undefined;
  argv0: string | undefined;
  shell: string | undefined;
  detached: boolean;
  uid: number | undefined;
  gid: number | undefined;
  stdio: ValidStdio;
  serialization: Serialization;
  timeout: number;
  killSignal: number;
  signal: AbortSignal | undefined;
}

interface ValidStdio {
  slots: ResolvedStdioSlot[];
  /** Slots asked for, at least 3, trailing ignored ones included. */
  count: number;
  ipc: number | undefined;
  sharedStreams: object[];
}

// In Node's order: normalizeSpawnArguments checks the process options, spawn() then the timeout,
// the abort signal and killSignal (spawnSync: timeout, maxBuffer, killSignal), and only then the
// stdio, so that a bad timeout is reported before a bad stdio slot.
function validateOptions(options: NodeSpawnOptions, mode: SpawnMode = 'async'): ValidOptions {
  if (options.detached != null) validateBoolean(options.detached, 'options.detached');
  if (options.windowsHide != null) validateBoolean(options.windowsHide, 'options.windowsHide');
  const verbatim = (options as { windowsVerbatimArguments?: unknown }).windowsVerbatimArguments;
  if (verbatim != null) validateBoolean(verbatim, 'options.windowsVerbatimArguments');
  const shell: unknown = options.shell;
  if (shell != null && typeof shell !== 'boolean' && typeof shell !== 'string') {
    throw invalidArgType('options.shell', 'one of type boolean or string', shell);
  }
  const processOptions = {
    // '' is unset, as in Node.
    cwd: options.cwd == null || options.cwd === '' ? undefined : validateCwd(options.cwd),
    env: options.env == null ? undefined : envFor(options.env),
    argv0: options.argv0 == null ? undefined : validateString(options.argv0, 'options.argv0'),
    // '' and false mean no shell, as in Node.
    shell: shell === true ? DEFAULT_SHELL : shell ? validateString(shell, 'options.shell') : undefined,
    detached: options.detached === true,
    uid: options.uid == null ? undefined : validateInt32(options.uid, 'options.uid'),
    gid: options.gid == null ? undefined : validateInt32(options.gid, 'options.gid'),
  };
  const timeout = validateTimeout(options.timeout);
  if (mode === 'sync' && Object.hasOwn(options, 'maxBuffer')) validateMaxBuffer((options as { maxBuffer?: unknown }).maxBuffer);
  const signal = validateAbortSignal(options.signal);
  const killSignal = options.killSignal == null ? SIGTERM : sanitizeKillSignal(options.killSignal);
  const serialization = validateSerialization(options.serialization);
  return { ...processOptions, timeout, signal, killSignal, serialization, stdio: validateStdio(options.stdio, mode) };
}

function interpret(file: string, args: string[], options: ValidOptions): SpawnCall {
  // As Node: with a shell, the file and its arguments are joined with spaces, unquoted.
  const [shellFile, shellArgs] = options.shell === undefined ? [file, args] : [options.shell, ['-c', [file, ...args].join(' ')]];
  const { slots, ipc, sharedStreams, count } = options.stdio;
  // libuv's 'pipe' is a socketpair; the child sees a socket, as under Node (EPIPE, not SIGPIPE,
  // when its reader is gone with data unread). Above fd 2 our 'pipe' is one already.
  const forwarded: SpawnOptions = { stdio: slots.map((slot, index) => (slot === 'pipe' && index < 3 ? 'socket' : slot)) };
  if (options.cwd !== undefined) forwarded.cwd = options.cwd;
  if (ipc !== undefined) forwarded.env = withChannel(options.env, ipc, options.serialization);
  else if (options.env !== undefined) forwarded.env = options.env;
  if (options.argv0 !== undefined) forwarded.argv0 = options.argv0;
  if (options.detached) forwarded.detached = true;
  if (options.uid !== undefined) forwarded.uid = options.uid;
  if (options.gid !== undefined) forwarded.gid = options.gid;
  return {
    file: shellFile,
    args: shellArgs,
    spawnargs: [options.argv0 ?? shellFile, ...shellArgs],
    options: forwarded,
    pipes: slots.map((slot, index) => slot === 'pipe' && index !== ipc),
    ipc,
    stdioCount: count,
    serialization: options.serialization,
    sharedStreams,
    timeout: options.timeout,
    killSignal: options.killSignal,
    signal: options.signal,
  };
}

/**
 * The variables by which a Node child finds its end of the channel (lib/internal/bootstrap):
 * NODE_CHANNEL_FD and NODE_CHANNEL_SERIALIZATION_MODE, added to the environment it gets.
 */
function withChannel(env: Record<string, string> | undefined, fd: number, serialization: Serialization): Record<string, string> {
  const base = env ?? (process.env as Record<string, string>);
  return { ...base, NODE_CHANNEL_FD: String(fd), NODE_CHANNEL_SERIALIZATION_MODE: serialization };
}

function validateSerialization(serialization: unknown): Serialization {
  if (serialization === undefined) return 'json';
  if (serialization === 'json' || serialization === 'advanced') return serialization;
  throw invalidArgValue('options.serialization', serialization, "must be one of: undefined, 'json', 'advanced'");
}

/**
 * Node's getValidStdio: 'pipe', 'ignore', 'inherit', 'ipc' (once), an fd, or a stream with an fd
 * underneath (another child's stdout, a socket), whose fd the child then shares.
 */
function validateStdio(stdio: unknown, mode: SpawnMode = 'async'): ValidStdio {
  const sharedStreams: object[] = [];
  if (stdio === undefined || stdio === null) return { slots: ['pipe', 'pipe', 'pipe'], count: 3, ipc: undefined, sharedStreams };
  if (typeof stdio === 'string') {
    const all = (slot: ResolvedStdioSlot): ValidStdio => ({ slots: [slot, slot, slot], count: 3, ipc: undefined, sharedStreams });
    if (stdio === 'pipe' || stdio === 'overlapped') return all('pipe');
    if (stdio === 'ignore') return all('ignore');
    if (stdio === 'inherit') return all('inherit');
    throw invalidArgValue('stdio', stdio);
  }
  if (!Array.isArray(stdio)) throw invalidArgValue('stdio', stdio);
  const slots: ResolvedStdioSlot[] = [];
  let ipc: number | undefined;
  for (let i = 0; i < Math.max(3, stdio.length); i++) {
    const slot: unknown = stdio[i];
    if (slot === 'ipc') {
      // Node: a synchronous child has no event loop on our side to serve a channel.
      if (mode === 'sync') throw ipcSyncFork();
      if (ipc !== undefined) throw ipcOnlyOne();
      ipc = i;
      // A channel is a socketpair; 'pipe' is one above fd 2, and a one-way pipe at 0-2.
      slots.push(i < 3 ? 'socket' : 'pipe');
      continue;
    }
    // Node's spawnSync skips such a slot (the later ones move down); ours refuses it.
    if (mode === 'async' && isInputSlot(slot)) throw invalidSyncForkInput(slot);
    slots.push(validateSlot(slot, i, sharedStreams));
  }
  const count = slots.length;
  // libuv leaves an ignored fd above 2 closed, which is what closing the unlisted fds gives.
  while (slots.length > 3 && slots.length - 1 !== ipc && slots[slots.length - 1] === 'ignore') slots.pop();
  return { slots, count, ipc, sharedStreams };
}

const SLOT_NAMES = new Set(['pipe', 'overlapped', 'ignore', 'inherit', 'ipc']);

// Bytes or a string other than a slot's name: what Node's getValidStdio takes as input.
function isInputSlot(slot: unknown): boolean {
  return ArrayBuffer.isView(slot) || (typeof slot === 'string' && !SLOT_NAMES.has(slot));
}

function validateSlot(slot: unknown, index: number, sharedStreams: object[]): ResolvedStdioSlot {
  if (slot === undefined || slot === null) return index < 3 ? 'pipe' : 'ignore';
  if (slot === 'pipe' || slot === 'overlapped' || (typeof slot === 'number' && slot < 0)) return 'pipe';
  if (slot === 'ignore' || slot === 'inherit') return slot;
  if (typeof slot === 'number') return slot;
  const fd = typeof slot === 'object' ? fdOfStream(slot) : null;
  if (fd === null) throw invalidArgValue('stdio', slot);
  // A plain `{ fd }` is an fd number for Node; anything else is a stream to stop reading.
  if (typeof (slot as { fd?: unknown }).fd !== 'number') sharedStreams.push(slot as object);
  return fd;
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
  const path = cwd instanceof URL ? fileURLToPath(cwd) : Buffer.isBuffer(cwd) ? cwd.toString() : cwd;
  if (typeof path !== 'string') throw invalidArgType('options.cwd', 'of type string or an instance of Buffer or URL', cwd);
  return validateNoNul(path, 'options.cwd', 'must be a string, Uint8Array, or URL without null bytes') as string;
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

export function validateNoNul(value: unknown, name: string, reason = 'must be a string without null bytes'): unknown {
  if (typeof value === 'string' && value.includes('\0')) throw invalidArgValue(name, value, reason);
  return value;
}
