// Pool options: apply defaults, validate, interpret. Everything here runs in the constructor, so a
// bad option is a TypeError or RangeError thrown before any worker is spawned.
import { availableParallelism } from 'node:os';
import { planSpawn, type SpawnOptions } from '../core/options';
import { DEFAULT_MAX_FRAME_SIZE, HEADER_SIZE, MAX_FRAME_LENGTH } from '../protocol';
import { describeValue, ownProperties } from '../core/validate';
import type { RestartBackoff } from './backoff';
import type { WorkerInfo } from './events';

/** Where a worker's stderr goes: ours, a 'stderr' event per line, nowhere, or a callback per line. */
export type PoolStderr = 'inherit' | 'pipe' | 'ignore' | ((line: string, workerId: number) => void);

/** A worker's command or arguments, or a function of the worker id (0 to size - 1) that gives them. */
export type PerWorker<T> = T | ((workerId: number) => T);

export interface PoolOptions extends Omit<SpawnOptions, 'stdio' | 'parentDeathSignal'> {
  /**
   * The worker program, searched in PATH like spawn()'s `file`; or a function of the worker id
   * that returns it, called at each spawn of that worker (to spread workers over hosts with ssh).
   */
  command: PerWorker<string>;
  args?: PerWorker<readonly string[]>;
  /** Number of workers; default os.availableParallelism(). */
  size?: number;
  /** Tasks that may wait for a worker before run() rejects with QueueFullError; default Infinity. */
  maxQueue?: number;
  /** Per attempt: a task running longer is rejected and its worker SIGKILLed; default Infinity. */
  taskTimeoutMs?: number;
  /** A new worker must send WORKER_READY within this; default 10 000. */
  readyTimeoutMs?: number;
  /** An idle worker is pinged this often; 0 disables heartbeats; default 5 000. */
  heartbeatIntervalMs?: number;
  /**
   * A ping unanswered this long means a hung worker; so does a busy worker seen stopped (state T
   * in /proc/PID/stat, checked every heartbeatIntervalMs) for this long; default 5 000.
   */
  heartbeatTimeoutMs?: number;
  /**
   * A worker that has sent WORKER_READY is healthy once it answers a task or a ping, or once it
   * has stayed up this long; default heartbeatIntervalMs (5 000 when heartbeats are off).
   */
  healthyAfterMs?: number;
  /** A frame a worker has begun to write must be complete within this; default 5 000. */
  frameTimeoutMs?: number;
  /**
   * PR_SET_PDEATHSIG for every worker: the signal it gets when the thread that spawned it ends
   * (the main thread: the parent process). Default 'SIGKILL'; null opts out.
   */
  parentDeathSignal?: SpawnOptions['parentDeathSignal'] | null;
  /** Times a task is sent again after its worker died under it; default 0. */
  retries?: number;
  /** Wait before such a retry; default 0. */
  retryBackoffMs?: number;
  /** A worker that has answered this many tasks is retired gracefully and replaced; default Infinity. */
  maxTasksPerWorker?: number;
  /** Tasks sent to one worker before its answers come back (pipelining); default 1. */
  maxInFlightPerWorker?: number;
  /** Largest frame accepted from a worker, header included; default 64 MiB. */
  maxFrameSize?: number;
  restartBackoff?: { initialMs?: number; maxMs?: number };
  crashLoop?: {
    /** The pool is degraded AT the maxCrashes-th start failure within windowMs (not after it); default 5. */
    maxCrashes?: number;
    /** How long a start failure counts; default 10 000. */
    windowMs?: number;
    /** Deaths of healthy workers by SIGSEGV, SIGBUS, SIGILL, SIGFPE or SIGABRT count too (as PHP-FPM); default false. */
    fatalSignals?: boolean;
  };
  shutdown?: { drainTimeoutMs?: number; ackTimeoutMs?: number; termTimeoutMs?: number };
  stderr?: PoolStderr;
}

export interface RunOptions {
  /** Overrides the pool's `taskTimeoutMs` for this task. */
  timeoutMs?: number;
  /** Overrides the pool's `retries` for this task. */
  retries?: number;
  /** Removes the task from the queue, or kills the worker running it. */
  signal?: AbortSignal;
  /** Called each time the task is sent to a worker (again on a retry): which worker runs it. */
  onAssign?: (worker: WorkerInfo) => void;
}

export interface ShutdownTimeouts {
  drainTimeoutMs: number;
  ackTimeoutMs: number;
  termTimeoutMs: number;
}

/** Validated options with every default applied. */
export interface PoolConfig {
  command: PerWorker<string>;
  args: PerWorker<readonly string[]>;
  /** Own properties only, on an object without a prototype: nothing can be inherited. */
  spawnOptions: Omit<SpawnOptions, 'stdio'>;
  size: number;
  maxQueue: number;
  taskTimeoutMs: number;
  readyTimeoutMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  healthyAfterMs: number;
  frameTimeoutMs: number;
  retries: number;
  retryBackoffMs: number;
  maxTasksPerWorker: number;
  maxInFlightPerWorker: number;
  maxFrameSize: number;
  restartBackoff: RestartBackoff;
  crashLoop: { maxCrashes: number; windowMs: number; fatalSignals: boolean };
  shutdown: ShutdownTimeouts;
  stderr: PoolStderr;
}

export const POOL_DEFAULTS = {
  maxQueue: Infinity,
  taskTimeoutMs: Infinity,
  readyTimeoutMs: 10_000,
  heartbeatIntervalMs: 5_000,
  heartbeatTimeoutMs: 5_000,
  frameTimeoutMs: 5_000,
  parentDeathSignal: 'SIGKILL',
  retries: 0,
  retryBackoffMs: 0,
  maxTasksPerWorker: Infinity,
  maxInFlightPerWorker: 1,
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  restartBackoff: { initialMs: 100, maxMs: 10_000 },
  crashLoop: { maxCrashes: 5, windowMs: 10_000, fatalSignals: false },
  shutdown: { drainTimeoutMs: 5_000, ackTimeoutMs: 1_000, termTimeoutMs: 1_000 },
  stderr: 'inherit',
} as const;

// The longest delay setTimeout honours; a longer one would fire at once.
const MAX_DELAY_MS = 2 ** 31 - 1;
// Sequence numbers are u16 and 0 is never used: at most this many tasks per worker at once.
const MAX_IN_FLIGHT = 1024;
const MAX_RETRIES = 1000;

/** The names of the pool's own options; every other key is a spawn option. */
export const POOL_KEYS: ReadonlySet<string> = new Set([
  'command', 'args', 'size', 'maxQueue', 'taskTimeoutMs', 'readyTimeoutMs', 'heartbeatIntervalMs',
  'heartbeatTimeoutMs', 'healthyAfterMs', 'frameTimeoutMs', 'retries', 'retryBackoffMs', 'maxTasksPerWorker',
  'maxInFlightPerWorker', 'maxFrameSize', 'restartBackoff', 'crashLoop', 'shutdown', 'stderr', 'parentDeathSignal',
]);

export function normalizePoolOptions(options: unknown): PoolConfig {
  const given = objectOption(options, 'the options') as Partial<PoolOptions>;
  const command = given.command;
  if (typeof command !== 'function') validateCommand(command);
  const args = given.args ?? [];
  const spawnOptions = spawnOptionsOf(given);
  // The spawn options (and a fixed command and arguments) are checked now, by the code spawn() uses.
  planSpawn(typeof command === 'string' ? command : 'worker', typeof args === 'function' ? [] : args, spawnOptions);
  const restartBackoff = objectOption(given.restartBackoff ?? {}, 'the `restartBackoff` option') as NonNullable<PoolOptions['restartBackoff']>;
  const crashLoop = objectOption(given.crashLoop ?? {}, 'the `crashLoop` option') as NonNullable<PoolOptions['crashLoop']>;
  const shutdown = objectOption(given.shutdown ?? {}, 'the `shutdown` option') as NonNullable<PoolOptions['shutdown']>;
  const heartbeatIntervalMs = delay(given.heartbeatIntervalMs ?? POOL_DEFAULTS.heartbeatIntervalMs, 'heartbeatIntervalMs', 0);
  const config: PoolConfig = {
    command,
    args,
    spawnOptions,
    size: positiveInteger(given.size ?? availableParallelism(), 'size', 1024),
    maxQueue: countOrInfinity(given.maxQueue ?? POOL_DEFAULTS.maxQueue, 'maxQueue', 0),
    taskTimeoutMs: delayOrInfinity(given.taskTimeoutMs ?? POOL_DEFAULTS.taskTimeoutMs, 'taskTimeoutMs'),
    readyTimeoutMs: delay(given.readyTimeoutMs ?? POOL_DEFAULTS.readyTimeoutMs, 'readyTimeoutMs', 1),
    heartbeatIntervalMs,
    heartbeatTimeoutMs: delay(given.heartbeatTimeoutMs ?? POOL_DEFAULTS.heartbeatTimeoutMs, 'heartbeatTimeoutMs', 1),
    healthyAfterMs: delay(given.healthyAfterMs ?? (heartbeatIntervalMs || POOL_DEFAULTS.heartbeatIntervalMs), 'healthyAfterMs', 0),
    frameTimeoutMs: delay(given.frameTimeoutMs ?? POOL_DEFAULTS.frameTimeoutMs, 'frameTimeoutMs', 1),
    retries: integer(given.retries ?? POOL_DEFAULTS.retries, 'retries', 0, MAX_RETRIES),
    retryBackoffMs: delay(given.retryBackoffMs ?? POOL_DEFAULTS.retryBackoffMs, 'retryBackoffMs', 0),
    maxTasksPerWorker: countOrInfinity(given.maxTasksPerWorker ?? POOL_DEFAULTS.maxTasksPerWorker, 'maxTasksPerWorker', 1),
    maxInFlightPerWorker: positiveInteger(given.maxInFlightPerWorker ?? POOL_DEFAULTS.maxInFlightPerWorker, 'maxInFlightPerWorker', MAX_IN_FLIGHT),
    maxFrameSize: integer(given.maxFrameSize ?? POOL_DEFAULTS.maxFrameSize, 'maxFrameSize', HEADER_SIZE, MAX_FRAME_LENGTH),
    restartBackoff: {
      initialMs: delay(restartBackoff.initialMs ?? POOL_DEFAULTS.restartBackoff.initialMs, 'restartBackoff.initialMs', 1),
      maxMs: delay(restartBackoff.maxMs ?? POOL_DEFAULTS.restartBackoff.maxMs, 'restartBackoff.maxMs', 1),
    },
    crashLoop: {
      maxCrashes: positiveInteger(crashLoop.maxCrashes ?? POOL_DEFAULTS.crashLoop.maxCrashes, 'crashLoop.maxCrashes', 1_000_000),
      windowMs: delay(crashLoop.windowMs ?? POOL_DEFAULTS.crashLoop.windowMs, 'crashLoop.windowMs', 1),
      fatalSignals: boolean(crashLoop.fatalSignals ?? POOL_DEFAULTS.crashLoop.fatalSignals, 'crashLoop.fatalSignals'),
    },
    shutdown: {
      drainTimeoutMs: delay(shutdown.drainTimeoutMs ?? POOL_DEFAULTS.shutdown.drainTimeoutMs, 'shutdown.drainTimeoutMs', 0),
      ackTimeoutMs: delay(shutdown.ackTimeoutMs ?? POOL_DEFAULTS.shutdown.ackTimeoutMs, 'shutdown.ackTimeoutMs', 0),
      termTimeoutMs: delay(shutdown.termTimeoutMs ?? POOL_DEFAULTS.shutdown.termTimeoutMs, 'shutdown.termTimeoutMs', 0),
    },
    stderr: stderrOption(given.stderr ?? POOL_DEFAULTS.stderr),
  };
  if (config.restartBackoff.maxMs < config.restartBackoff.initialMs) {
    throw new RangeError(
      `Expected the \`restartBackoff.maxMs\` option to be at least \`restartBackoff.initialMs\` (${config.restartBackoff.initialMs}), got ${describeValue(config.restartBackoff.maxMs)}`,
    );
  }
  return config;
}

/**
 * The command and arguments of one worker. A function given as `command` or `args` is called
 * here, at each spawn, and what it returns is checked like a fixed value.
 */
export function workerCommand(config: PoolConfig, workerId: number): { command: string; args: readonly string[] } {
  const command = typeof config.command === 'function' ? config.command(workerId) : config.command;
  const args = typeof config.args === 'function' ? config.args(workerId) : config.args;
  validateCommand(command);
  if (!Array.isArray(args)) throw new TypeError(`Expected the \`args\` function to return an array of strings, got ${describeValue(args)}`);
  return { command, args };
}

function validateCommand(command: unknown): asserts command is string {
  if (typeof command !== 'string' || command === '') {
    throw new TypeError(`Expected the \`command\` option to be a non-empty string, got ${describeValue(command)}`);
  }
}

/** The options of a single run(), over the pool's defaults. */
export interface NormalizedRunOptions {
  timeoutMs: number;
  retries: number;
  signal: AbortSignal | undefined;
  onAssign: ((worker: WorkerInfo) => void) | undefined;
}

export function normalizeRunOptions(options: unknown, config: PoolConfig): NormalizedRunOptions {
  if (options === undefined) return { timeoutMs: config.taskTimeoutMs, retries: config.retries, signal: undefined, onAssign: undefined };
  const given = objectOption(options, 'the run options') as RunOptions;
  const signal = given.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Expected the \`signal\` option to be an AbortSignal, got ${describeValue(signal)}`);
  }
  const onAssign = given.onAssign;
  if (onAssign !== undefined && typeof onAssign !== 'function') {
    throw new TypeError(`Expected the \`onAssign\` option to be a function, got ${describeValue(onAssign)}`);
  }
  return {
    timeoutMs: given.timeoutMs === undefined ? config.taskTimeoutMs : delayOrInfinity(given.timeoutMs, 'timeoutMs'),
    retries: given.retries === undefined ? config.retries : integer(given.retries, 'retries', 0, MAX_RETRIES),
    signal,
    onAssign,
  };
}

/**
 * Everything that is not a pool option is a spawn option, passed through as it is, on an object
 * without a prototype so that spawn() cannot inherit one either. Workers get
 * `parentDeathSignal: 'SIGKILL'` unless told otherwise; null leaves it unset.
 */
function spawnOptionsOf(given: Partial<PoolOptions>): Omit<SpawnOptions, 'stdio'> {
  const spawnOptions: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(given)) {
    if (!POOL_KEYS.has(key)) spawnOptions[key] = value;
  }
  if (spawnOptions['stdio'] !== undefined) {
    throw new TypeError(
      'The `stdio` option cannot be given to a pool: stdin and stdout carry the frames; use the `stderr` option for stderr',
    );
  }
  const deathSignal = given.parentDeathSignal === undefined ? POOL_DEFAULTS.parentDeathSignal : given.parentDeathSignal;
  if (deathSignal !== null) spawnOptions['parentDeathSignal'] = deathSignal;
  return spawnOptions as Omit<SpawnOptions, 'stdio'>;
}

/** The object's own enumerable properties on an object without a prototype: nothing is inherited. */
function objectOption(value: unknown, what: string): object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected ${what} to be an object, got ${describeValue(value)}`);
  }
  return ownProperties(value);
}

function boolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`Expected the \`${name}\` option to be a boolean, got ${describeValue(value)}`);
  return value;
}

function integer(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`Expected the \`${name}\` option to be an integer between ${min} and ${max}, got ${describeValue(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`Expected the \`${name}\` option to be an integer between ${min} and ${max}, got ${describeValue(value)}`);
  }
  return value;
}

function positiveInteger(value: unknown, name: string, max: number): number {
  const message = `Expected the \`${name}\` option to be a positive integer, got ${describeValue(value)}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(message);
  if (value < 1) throw new RangeError(message);
  if (value > max) throw new RangeError(`Expected the \`${name}\` option to be at most ${max}, got ${describeValue(value)}`);
  return value;
}

/** Milliseconds that setTimeout can honour, at least `min`. */
function delay(value: unknown, name: string, min: number): number {
  const kind = min === 0 ? 'a non-negative integer' : 'a positive integer';
  const message = `Expected the \`${name}\` option to be ${kind} (milliseconds), got ${describeValue(value)}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(message);
  if (value < min || value > MAX_DELAY_MS) throw new RangeError(message);
  return value;
}

function delayOrInfinity(value: unknown, name: string): number {
  if (value === Infinity) return value;
  const message = `Expected the \`${name}\` option to be a positive integer (milliseconds) or Infinity, got ${describeValue(value)}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(message);
  if (value < 1 || value > MAX_DELAY_MS) throw new RangeError(message);
  return value;
}

function countOrInfinity(value: unknown, name: string, min: number): number {
  if (value === Infinity) return value;
  const kind = min === 0 ? 'a non-negative integer' : 'a positive integer';
  const message = `Expected the \`${name}\` option to be ${kind} or Infinity, got ${describeValue(value)}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(message);
  if (value < min) throw new RangeError(message);
  return value;
}

function stderrOption(value: unknown): PoolStderr {
  if (value === 'inherit' || value === 'pipe' || value === 'ignore' || typeof value === 'function') return value as PoolStderr;
  throw new TypeError(
    `Expected the \`stderr\` option to be 'inherit', 'pipe', 'ignore' or a function, got ${describeValue(value)}`,
  );
}
