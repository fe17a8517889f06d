// Spawn options: apply defaults, validate, interpret. Everything here runs before any syscall, so
// a bad option is a TypeError or RangeError and no process, fd or zombie comes into being.
import type { Readable, Writable } from 'node:stream';
import { isMainThread } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { STDIO_IGNORE, STDIO_PIPE, STDIO_SOCKET, type NativeSpawnRequest } from './native';
import { groupOfChild, validateProcessSettings, type GroupOfChild, type ProcessSettings } from './process-settings';
import { fdOfStream, type StreamWithFd } from './streams';
import { describeValue, ownProperties } from './validate';

/**
 * What one of the child's fds is connected to: a pipe, our own fd, /dev/null, an fd number, or a
 * stream with an fd underneath (another child's stdout, a socket), which the child then shares.
 */
export type StdioSlot = 'pipe' | 'socket' | 'inherit' | 'ignore' | number | StdioStreamSlot;
/** A stream with an fd underneath: a child's stdout or stdin, a net.Socket, a tty. */
export type StdioStreamSlot = Readable | Writable | StreamWithFd;
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number | readonly (StdioSlot | null | undefined)[];
/** A slot once validated: a stream has become its fd. */
export type ResolvedStdioSlot = 'pipe' | 'socket' | 'inherit' | 'ignore' | number;

export interface SpawnOptions extends ProcessSettings {
  /** Working directory of the child; it is entered with chdir after the fds are in place. */
  cwd?: string | URL;
  /** The child's whole environment; default `process.env`. Also where PATH is searched. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Per slot: a pipe to us (default for 0-2), our own fd ('inherit'), /dev/null ('ignore'), or
   * an fd number. Slots past 2 give the child more fds; 'pipe' there is a socketpair, readable
   * and writable on both sides (as in child_process). 'socket' is a socketpair at any slot, 0-2
   * included (a Duplex on our side), as an IPC channel on the child's stdin needs.
   */
  stdio?: StdioOption;
  /** The program's argv[0] (default: the file as given). */
  argv0?: string;
  /** Run `[file, ...args].join(' ')` with `/bin/sh -c` (true) or with the shell at this path. */
  shell?: boolean | string;
  /**
   * 'vfork' (default): clone(CLONE_VM | CLONE_VFORK) on a stack of its own, as glibc's
   * posix_spawn, CPython and Go do: the child shares our memory until it execs, so the cost does
   * not grow with the parent's Buffers and native memory. 'fork': the textbook fork, which copies
   * the page tables (what a course wants to see under strace). Fork is used all the same when
   * uid, gid or groups are set (a shared-memory child that changes credentials would make this
   * process non-dumpable) and after the kernel has refused the shared-memory clone (a seccomp
   * sandbox, an emulator). The child path and every option are the same.
   */
  spawnMethod?: SpawnMethod;
}

export type SpawnMethod = 'fork' | 'vfork';

/** A validated spawn: the addon's request plus what the Subprocess needs to know. */
export interface SpawnPlan {
  /** The file as the caller named it, for errors (`spawn <file>`). */
  file: string;
  /** The arguments after argv[0], as they reach the program. */
  args: string[];
  argv0: string;
  request: NativeSpawnRequest;
  stdio: ResolvedStdioSlot[];
  /** The streams whose fds the child gets: we stop reading them once it is spawned. */
  sharedStreams: object[];
  group: GroupOfChild;
}

// When a PATH is missing, the same default as libuv and glibc's confstr(_CS_PATH).
export const DEFAULT_PATH = '/usr/bin:/bin';
const STANDARD_SLOTS = 3;
const MAX_SLOTS = 256;

export function planSpawn(file: unknown, args: unknown, options: unknown): SpawnPlan {
  const validOptions = validateOptionsObject(options);
  const command = withShell(validateFile(file), validateArgs(args), validOptions.shell);
  const argv0 = validOptions.argv0 === undefined ? command.file : validateArgv0(validOptions.argv0);
  const env = validOptions.env === undefined ? undefined : validateEnv(validOptions.env);
  const sharedStreams: object[] = [];
  const stdio = validateStdio(validOptions.stdio, sharedStreams);
  // '' is unset, as in child_process.
  const cwd = validOptions.cwd === undefined || validOptions.cwd === '' ? null : validateCwd(validOptions.cwd);
  const settings = validateProcessSettings(validOptions);
  const pathVariable = env === undefined ? process.env['PATH'] : env.path;
  return {
    file: command.file,
    args: command.args,
    argv0,
    stdio,
    sharedStreams,
    group: groupOfChild(settings),
    request: {
      execPaths: execPathCandidates(command.file, pathVariable ?? DEFAULT_PATH),
      argv: [argv0, ...command.args],
      envp: envpFor(env),
      cwd,
      stdio: stdio.map(stdioCode),
      vfork: validateSpawnMethod(validOptions.spawnMethod) === 'vfork',
      ...settings,
    },
  };
}

// As child_process: the command and its arguments joined with spaces, for the shell to parse.
function withShell(file: string, args: string[], shell: unknown): { file: string; args: string[] } {
  if (shell === undefined || shell === false) return { file, args };
  if (shell !== true && (typeof shell !== 'string' || shell === '')) {
    throw new TypeError(`Expected the \`shell\` option to be a boolean or a path, got ${describeValue(shell)}`);
  }
  return { file: shell === true ? '/bin/sh' : shell, args: ['-c', [file, ...args].join(' ')] };
}

// PROCESS_SPAWNER_SPAWN_METHOD=fork changes the default for a whole process tree, to run an
// application (or this project's test suite) under the other method without editing it.
const DEFAULT_SPAWN_METHOD: SpawnMethod = process.env['PROCESS_SPAWNER_SPAWN_METHOD'] === 'fork' ? 'fork' : 'vfork';

function validateSpawnMethod(method: unknown): SpawnMethod {
  if (method === undefined) return DEFAULT_SPAWN_METHOD;
  if (method === 'fork' || method === 'vfork') return method;
  throw new TypeError(`Expected the \`spawnMethod\` option to be 'fork' or 'vfork', got ${describeValue(method)}`);
}

function validateArgv0(argv0: unknown): string {
  if (typeof argv0 !== 'string') throw new TypeError(`Expected the \`argv0\` option to be a string, got ${describeValue(argv0)}`);
  rejectNulBytes(argv0, 'the `argv0` option');
  return argv0;
}

/**
 * The paths execvp would try, built here so the child only loops over them: the file itself
 * when it contains a slash, otherwise each PATH directory in order (an empty entry is the
 * working directory, as in POSIX).
 */
export function execPathCandidates(file: string, pathVariable: string): string[] {
  if (file.includes('/')) return [file];
  return pathVariable.split(':').map((directory) => (directory === '' ? file : `${directory}/${file}`));
}

function validateFile(file: unknown): string {
  if (typeof file !== 'string') {
    throw new TypeError(`Expected the file to be a string, got ${describeValue(file)}`);
  }
  if (file === '') throw new RangeError('Expected the file to be a non-empty string');
  rejectNulBytes(file, 'the file');
  return file;
}

function validateArgs(args: unknown): string[] {
  if (args === undefined || args === null) return [];
  if (!Array.isArray(args)) {
    throw new TypeError(`Expected the arguments to be an array of strings, got ${describeValue(args)}`);
  }
  return args.map((arg: unknown, index) => {
    if (typeof arg !== 'string') {
      throw new TypeError(`Expected argument ${index} to be a string, got ${describeValue(arg)}`);
    }
    rejectNulBytes(arg, `argument ${index}`);
    return arg;
  });
}

// Own properties only: an option inherited from a polluted Object.prototype is no option.
function validateOptionsObject(options: unknown): SpawnOptions {
  if (options === undefined || options === null) return ownProperties({});
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`Expected the options to be an object, got ${describeValue(options)}`);
  }
  return ownProperties(options as SpawnOptions);
}

function validateCwd(cwd: unknown): string {
  const path = cwd instanceof URL ? fileURLToPath(cwd) : cwd;
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(`Expected the \`cwd\` option to be a non-empty string or a file URL, got ${describeValue(cwd)}`);
  }
  rejectNulBytes(path, 'the `cwd` option');
  return path;
}

interface ValidEnv {
  envp: string[];
  path: string | undefined;
}

/**
 * The `env` option, checked and made into the child's envp ('KEY=value') in one pass, with the
 * PATH it holds for the exec paths: its own entries only, as for every option.
 */
function validateEnv(env: unknown): ValidEnv {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new TypeError(`Expected the \`env\` option to be an object, got ${describeValue(env)}`);
  }
  const envp: string[] = [];
  let path: string | undefined;
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key === '' || key.includes('=')) {
      throw new TypeError(`Expected the \`env\` option's keys to be non-empty and without '=', got ${describeValue(key)}`);
    }
    // Like child_process: values are stringified, so { DEBUG: 1 } works.
    const text = String(value);
    rejectNulBytes(key, 'an `env` key');
    rejectNulBytes(text, `the \`env\` value of ${key}`);
    if (key === 'PATH') path = text;
    envp.push(`${key}=${text}`);
  }
  return { envp, path };
}

// Missing and null entries default to 'pipe' for 0-2 and 'ignore' above, as in child_process.
function validateStdio(stdio: unknown, sharedStreams: object[]): ResolvedStdioSlot[] {
  if (stdio === undefined || stdio === null) return ['pipe', 'pipe', 'pipe'];
  if (typeof stdio === 'string') return Array(STANDARD_SLOTS).fill(validateSlot(stdio, 0, sharedStreams));
  if (!Array.isArray(stdio)) {
    throw new TypeError(`Expected the \`stdio\` option to be a string or an array, got ${describeValue(stdio)}`);
  }
  if (stdio.length > MAX_SLOTS) {
    throw new RangeError(`Expected the \`stdio\` option to have at most ${MAX_SLOTS} entries, got ${stdio.length}`);
  }
  const slots: ResolvedStdioSlot[] = [];
  for (let i = 0; i < Math.max(STANDARD_SLOTS, stdio.length); i++) {
    const slot: unknown = stdio[i];
    const fallback = i < STANDARD_SLOTS ? 'pipe' : 'ignore';
    slots.push(slot === undefined || slot === null ? fallback : validateSlot(slot, i, sharedStreams));
  }
  return slots;
}

function validateSlot(slot: unknown, index: number, sharedStreams: object[]): ResolvedStdioSlot {
  if (slot === 'pipe' || slot === 'socket' || slot === 'inherit' || slot === 'ignore') return slot;
  if (typeof slot === 'number' && Number.isInteger(slot) && slot >= 0 && slot <= 0x7fffffff) return slot;
  const fd = typeof slot === 'object' && slot !== null ? fdOfStream(slot) : null;
  if (fd !== null) {
    sharedStreams.push(slot as object);
    return fd;
  }
  throw new TypeError(
    `Expected \`stdio[${index}]\` to be 'pipe', 'socket', 'inherit', 'ignore', a file descriptor number or a stream with an fd, got ${describeValue(slot)}`,
  );
}

function stdioCode(slot: ResolvedStdioSlot, index: number): number {
  if (slot === 'pipe') return STDIO_PIPE;
  if (slot === 'socket') return STDIO_SOCKET;
  if (slot === 'ignore') return STDIO_IGNORE;
  if (slot === 'inherit') return index;
  return slot;
}

/**
 * null lets the addon copy the process's C environ in C++ just before the clone (about 3 µs, where
 * reading process.env from JavaScript costs 20-70 µs): only on the main thread, where process.env
 * writes through to environ. A worker_thread's process.env is a copy of its own.
 *
 * The window: that copy does not take Node's environment lock (Node-API gives no way to). If a
 * worker_thread started with `env: SHARE_ENV` sets or deletes a variable while the main thread is
 * inside that copy, glibc may reallocate the array being read. A program that writes process.env
 * from SHARE_ENV workers while it spawns on the main thread passes `env: process.env`, which is
 * read entry by entry under Node's lock (docs/api.md, `env`).
 */
function envpFor(env: ValidEnv | undefined): string[] | null {
  if (env !== undefined) return env.envp;
  if (isMainThread) return null;
  const envp: string[] = [];
  for (const [key, value] of Object.entries(process.env)) envp.push(`${key}=${value}`);
  return envp;
}

function rejectNulBytes(value: string, what: string): void {
  if (value.includes('\0')) {
    throw new TypeError(`Expected ${what} to contain no null bytes, got ${describeValue(value)}`);
  }
}
