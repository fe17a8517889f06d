// The command line of process-spawner, parsed into one of its three forms. Options come first;
// the first word that is not an option starts the command, which runs to the end or to the first
// `:::`/`::::` (as in GNU parallel). Combined short flags (`-kj4`) and `--name=value` work.
import { availableParallelism } from 'node:os';
import type { SpawnMethod } from '../options';
import { parseDuration, parseHalt, type Halt, type TimeoutLimit } from './policy';
import { commandTemplate, type CommandTemplate } from './shell';

export class UsageError extends Error {}
UsageError.prototype.name = 'UsageError';

export type { CommandTemplate };

interface Common {
  verbose: boolean;
  json: boolean;
  quiet: boolean;
  spawnMethod: SpawnMethod | undefined;
}

export interface SingleInvocation extends Common {
  mode: 'single';
  command: CommandTemplate;
}

/** Where the arguments of the runs come from, combined as a cross product in order. */
export type ArgumentSource = { kind: 'values'; values: string[] } | { kind: 'file'; path: string } | { kind: 'stdin' } | { kind: 'range'; count: number };

export type OutputMode = 'group' | 'line-buffer' | 'ungroup';

export interface CommandPoolInvocation extends Common {
  mode: 'commands';
  command: CommandTemplate;
  /** A number, or 0: as many as there are runs (capped). */
  workers: number;
  sources: ArgumentSource[];
  /** Arguments go at the end of a command with no replacement string (not with --tasks). */
  appendArguments: boolean;
  /** -N, --max-args: inputs per run (1 unless given). */
  maxArgs: number;
  /** Splits input items; null: lines ('\n'). */
  delimiter: string | null;
  colsep: string | null;
  keepOrder: boolean;
  output: OutputMode;
  tag: boolean;
  results: string | null;
  joblog: string | null;
  resume: 'no' | 'done' | 'failed';
  halt: Halt | null;
  retries: number;
  delayMs: number;
  timeout: TimeoutLimit | null;
  dryRun: boolean;
  progress: 'auto' | 'bar' | 'eta';
  /** After SIGINT/SIGTERM: how long the running runs get to finish before SIGTERM. */
  drainTimeoutMs: number;
}

export interface WorkerPoolInvocation extends Common {
  mode: 'workers';
  /** The worker, exec'd directly, or through `/bin/sh -c` with its last command exec'd. */
  command: CommandTemplate;
  workers: number;
  input: string | null;
  timeoutMs: number | null;
  retries: number;
  maxQueue: number | null;
  drainTimeoutMs: number;
  progress: 'auto' | 'bar' | 'eta';
}

export type Invocation = SingleInvocation | CommandPoolInvocation | WorkerPoolInvocation | { mode: 'help' } | { mode: 'version' };

// The short flags: those that take a value, and those that do not.
const SHORT_VALUE: Record<string, string> = { j: '--jobs', P: '--jobs', w: '--jobs', n: '--tasks', N: '--max-args', a: '--arg-file', d: '--delimiter', C: '--colsep' };
const SHORT_BOOLEAN: Record<string, string> = { h: '--help', V: '--version', v: '--verbose', k: '--keep-order', u: '--ungroup', '0': '--null', q: '--quiet' };
const LONG_ALIASES: Record<string, string> = { '--workers': '--jobs', '--lb': '--line-buffer', '--res': '--results', '--max-procs': '--jobs' };
const VALUE_FLAGS = new Set([
  '--jobs', '--tasks', '--max-args', '--arg-file', '--delimiter', '--colsep', '--worker', '--input', '--timeout', '--retries', '--max-queue',
  '--results', '--joblog', '--halt', '--delay', '--drain-timeout', '--spawn-method',
]);
const BOOLEAN_FLAGS = new Set([
  '--help', '--version', '--verbose', '--json', '--keep-order', '--no-shell', '--ungroup', '--line-buffer', '--group', '--tag',
  '--null', '--quiet', '--resume', '--resume-failed', '--dry-run', '--eta', '--bar',
]);
// Options that make a run a pool of commands even without --tasks or ::: (arguments from stdin).
const POOL_FLAGS = [
  '--jobs', '--arg-file', '--delimiter', '--colsep', '--keep-order', '--ungroup', '--line-buffer', '--group', '--tag', '--null',
  '--results', '--joblog', '--resume', '--resume-failed', '--halt', '--retries', '--delay', '--timeout', '--dry-run', '--eta', '--bar',
  '--drain-timeout', '--max-args',
];
// Only with --worker.
const WORKER_ONLY = ['--input', '--max-queue'];
// Never with --worker.
const COMMANDS_ONLY = ['--tasks', '--max-args', '--arg-file', '--delimiter', '--colsep', '--keep-order', '--ungroup', '--line-buffer', '--group', '--tag', '--null',
  '--results', '--joblog', '--resume', '--resume-failed', '--halt', '--delay', '--dry-run'];
const DEFAULT_DRAIN_TIMEOUT_MS = 5000;
/** -j 0: as many runs at once as there are inputs, but never more than this. */
export const MAX_JOBS_FOR_ZERO = 256;

/** Every long option the command accepts, aliases included (--help names each). */
export function longOptionNames(): string[] {
  return [...VALUE_FLAGS, ...BOOLEAN_FLAGS, ...Object.keys(LONG_ALIASES)];
}

interface RawFlags {
  values: Map<string, string>;
  booleans: Set<string>;
  argFiles: string[];
  /** Command words (a string, or words joined with spaces as parallel does). */
  words: string[];
  /** After `--`: the argv, exec'd directly. */
  direct: string[] | null;
  sources: ArgumentSource[];
}

export function parseArguments(argv: readonly string[]): Invocation {
  const flags = readFlags(argv);
  if (flags.booleans.has('--help')) return { mode: 'help' };
  if (flags.booleans.has('--version')) return { mode: 'version' };
  const common: Common = {
    verbose: flags.booleans.has('--verbose'),
    json: flags.booleans.has('--json'),
    quiet: flags.booleans.has('--quiet'),
    spawnMethod: spawnMethodOf(flags.values.get('--spawn-method')),
  };
  const worker = flags.values.get('--worker');
  if (worker !== undefined) return workerInvocation(flags, common, worker);
  rejectFlags(flags, WORKER_ONLY, '--worker');
  const command = commandOf(flags);
  const isPool = flags.values.has('--tasks') || flags.sources.length > 0 || POOL_FLAGS.some((name) => given(flags, name));
  if (!isPool) {
    if (common.json) throw new UsageError('--json goes with a pool (--tasks, :::, -j, or --worker)');
    return { mode: 'single', ...common, command };
  }
  return commandPoolInvocation(flags, common, command);
}

function workerInvocation(flags: RawFlags, common: Common, worker: string): WorkerPoolInvocation {
  if (flags.words.length > 0 || flags.direct !== null || flags.sources.length > 0) {
    throw new UsageError('--worker takes the worker command as its value; give no other command');
  }
  if (worker.trim() === '') throw new UsageError('--worker needs a command, got an empty string');
  rejectFlags(flags, COMMANDS_ONLY, 'a pool of commands, not --worker (tasks of --worker are the lines of stdin or --input)');
  return {
    mode: 'workers',
    ...common,
    command: commandTemplate(worker, flags.booleans.has('--no-shell')),
    workers: jobsOf(flags, 1),
    input: flags.values.get('--input') ?? null,
    timeoutMs: optionalDuration(flags, '--timeout'),
    retries: count(flags, '--retries', 0, 0),
    maxQueue: optionalCount(flags, '--max-queue', 1),
    drainTimeoutMs: drainTimeoutOf(flags),
    progress: progressOf(flags),
  };
}

function commandPoolInvocation(flags: RawFlags, common: Common, command: CommandTemplate): CommandPoolInvocation {
  const sources = [...flags.sources, ...flags.argFiles.map((file): ArgumentSource => ({ kind: 'file', path: file }))];
  if (flags.values.has('--tasks')) {
    if (sources.length > 0) throw new UsageError('--tasks M gives the arguments 0..M-1; give no other arguments (:::, ::::, -a)');
    sources.push({ kind: 'range', count: count(flags, '--tasks', 0, 0) });
  }
  if (sources.length === 0) sources.push({ kind: 'stdin' });
  const outputs = ['--ungroup', '--line-buffer', '--group'].filter((name) => flags.booleans.has(name));
  if (outputs.length > 1) throw new UsageError(`${outputs.join(' and ')} cannot be combined: choose one output mode`);
  if (flags.booleans.has('--resume') && flags.booleans.has('--resume-failed')) throw new UsageError('--resume and --resume-failed cannot be combined');
  if ((flags.booleans.has('--resume') || flags.booleans.has('--resume-failed')) && !flags.values.has('--joblog')) {
    throw new UsageError('--resume and --resume-failed read the --joblog FILE: give it');
  }
  if (flags.booleans.has('--null') && flags.values.has('--delimiter')) throw new UsageError('-0 and -d cannot be combined');
  return {
    mode: 'commands',
    ...common,
    command,
    workers: jobsOf(flags, 0),
    sources,
    appendArguments: !flags.values.has('--tasks'),
    maxArgs: count(flags, '--max-args', 1, 1),
    delimiter: flags.booleans.has('--null') ? '\0' : delimiterOf(flags.values.get('--delimiter')),
    colsep: flags.values.get('--colsep') ?? null,
    keepOrder: flags.booleans.has('--keep-order'),
    output: flags.booleans.has('--ungroup') ? 'ungroup' : flags.booleans.has('--line-buffer') ? 'line-buffer' : 'group',
    tag: flags.booleans.has('--tag'),
    results: flags.values.get('--results') ?? null,
    joblog: flags.values.get('--joblog') ?? null,
    resume: flags.booleans.has('--resume') ? 'done' : flags.booleans.has('--resume-failed') ? 'failed' : 'no',
    halt: wrap('--halt', () => (flags.values.has('--halt') ? parseHalt(flags.values.get('--halt') as string) : null)),
    retries: count(flags, '--retries', 0, 0),
    delayMs: optionalDuration(flags, '--delay') ?? 0,
    timeout: wrap('--timeout', () => (flags.values.has('--timeout') ? parseDuration(flags.values.get('--timeout') as string, true) : null)),
    dryRun: flags.booleans.has('--dry-run'),
    progress: progressOf(flags),
    drainTimeoutMs: drainTimeoutOf(flags),
  };
}

function readFlags(argv: readonly string[]): RawFlags {
  const flags: RawFlags = { values: new Map(), booleans: new Set(), argFiles: [], words: [], direct: null, sources: [] };
  let i = 0;
  const valueOf = (name: string, inline: string | undefined): string => {
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${name} needs a value`);
    return value;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      flags.direct = [];
      i++;
      break;
    }
    if (isSourceMarker(arg)) break;
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      const name = LONG_ALIASES[equals < 0 ? arg : arg.slice(0, equals)] ?? (equals < 0 ? arg : arg.slice(0, equals));
      const inline = equals < 0 ? undefined : arg.slice(equals + 1);
      if (BOOLEAN_FLAGS.has(name) && inline === undefined) flags.booleans.add(name);
      else if (VALUE_FLAGS.has(name)) setValue(flags, name, valueOf(name, inline));
      else throw new UsageError(`unknown option ${arg}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      readShortFlags(arg, flags, (name, rest) => valueOf(name, rest));
    } else {
      break;
    }
  }
  // The command: words up to the first source marker.
  const commandWords: string[] = [];
  for (; i < argv.length && !isSourceMarker(argv[i] as string); i++) commandWords.push(argv[i] as string);
  if (flags.direct !== null) flags.direct = commandWords;
  else flags.words = commandWords;
  readSources(argv, i, flags);
  return flags;
}

// `-kj4`: each letter a flag; a letter that takes a value takes the rest of the word, or the next.
function readShortFlags(arg: string, flags: RawFlags, valueOf: (name: string, rest: string | undefined) => string): void {
  for (let k = 1; k < arg.length; k++) {
    const letter = arg[k] as string;
    const valueName = SHORT_VALUE[letter];
    if (valueName !== undefined) {
      const rest = arg.slice(k + 1);
      setValue(flags, valueName, valueOf(`-${letter}`, rest === '' ? undefined : rest));
      return;
    }
    const booleanName = SHORT_BOOLEAN[letter];
    if (booleanName === undefined) throw new UsageError(`unknown option -${letter}${arg.length > 2 ? ` (in ${arg})` : ''}`);
    flags.booleans.add(booleanName);
  }
}

function setValue(flags: RawFlags, name: string, value: string): void {
  if (name === '--arg-file') flags.argFiles.push(value);
  else flags.values.set(name, value);
}

function isSourceMarker(arg: string): boolean {
  return arg === ':::' || arg === '::::';
}

// `::: a b c :::: FILE ...`: each marker starts a source.
function readSources(argv: readonly string[], start: number, flags: RawFlags): void {
  for (let i = start; i < argv.length; ) {
    const marker = argv[i] as string;
    const items: string[] = [];
    for (i++; i < argv.length && !isSourceMarker(argv[i] as string); i++) items.push(argv[i] as string);
    if (marker === ':::') {
      if (items.length === 0) throw new UsageError('::: needs at least one argument after it');
      flags.sources.push({ kind: 'values', values: items });
    } else {
      if (items.length === 0) throw new UsageError(':::: needs a file after it');
      for (const file of items) flags.sources.push(file === '-' ? { kind: 'stdin' } : { kind: 'file', path: file });
    }
  }
}

function commandOf(flags: RawFlags): CommandTemplate {
  if (flags.direct !== null) {
    if (flags.direct.length === 0) throw new UsageError('missing the file to run after --');
    if (flags.direct[0] === '') throw new UsageError('the file to run after -- is an empty string');
    return { argv: flags.direct, shell: false };
  }
  if (flags.words.length === 0) throw new UsageError('missing the command to run');
  const command = flags.words.join(' ');
  if (command.trim() === '') throw new UsageError('the command is an empty string');
  return wrap('--no-shell', () => commandTemplate(command, flags.booleans.has('--no-shell')));
}

function spawnMethodOf(text: string | undefined): SpawnMethod | undefined {
  if (text === undefined) return undefined;
  if (text === 'fork' || text === 'vfork') return text;
  throw new UsageError(`--spawn-method takes fork or vfork, got '${text}'`);
}

function delimiterOf(text: string | undefined): string | null {
  if (text === undefined) return null;
  const escapes: Record<string, string> = { '\\n': '\n', '\\t': '\t', '\\0': '\0', '\\r': '\r' };
  const delimiter = escapes[text] ?? text;
  if (delimiter.length !== 1) throw new UsageError(`-d takes one character (or \\n, \\t, \\0), got '${text}'`);
  return delimiter;
}

function progressOf(flags: RawFlags): 'auto' | 'bar' | 'eta' {
  if (flags.booleans.has('--eta')) return 'eta';
  return flags.booleans.has('--bar') ? 'bar' : 'auto';
}

/** -j N, -j 0 (as many as the inputs, capped: `zero`), -j 50% of the CPUs. */
function jobsOf(flags: RawFlags, zero: number): number {
  const text = flags.values.get('--jobs');
  if (text === undefined) return availableParallelism();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent !== null) return Math.max(1, Math.floor((availableParallelism() * Number(percent[1])) / 100));
  if (text === '0' && zero === 0) return 0;
  return count(flags, '--jobs', 0, 1, '-j/--jobs takes a whole number of at least 1 (or 0, or a percentage of the CPUs like 50%)');
}

function count(flags: RawFlags, name: string, fallback: number, min: number, message?: string): number {
  return optionalCount(flags, name, min, message) ?? fallback;
}

function optionalCount(flags: RawFlags, name: string, min: number, message?: string): number | null {
  const text = flags.values.get(name);
  if (text === undefined) return null;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${message ?? `${name} takes a whole number of at least ${min}`}, got '${text}'`);
  }
  return value;
}

/** --drain-timeout T: what the running runs or tasks get after SIGINT/SIGTERM (default 5 s). */
function drainTimeoutOf(flags: RawFlags): number {
  return optionalDuration(flags, '--drain-timeout') ?? DEFAULT_DRAIN_TIMEOUT_MS;
}

function optionalDuration(flags: RawFlags, name: string): number | null {
  const text = flags.values.get(name);
  if (text === undefined) return null;
  return wrap(name, () => {
    const limit = parseDuration(text, false);
    return limit.kind === 'ms' ? limit.ms : 0;
  });
}

/** Runs a parser whose RangeError becomes a usage error naming the option. */
function wrap<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`${name}: ${error.message}`);
    throw error;
  }
}

function given(flags: RawFlags, name: string): boolean {
  return flags.booleans.has(name) || flags.values.has(name) || (name === '--arg-file' && flags.argFiles.length > 0);
}

function rejectFlags(flags: RawFlags, names: string[], needs: string): void {
  for (const name of names) {
    if (given(flags, name)) throw new UsageError(`${name} only goes with ${needs}`);
  }
}
