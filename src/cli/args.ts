// The command line of process-spawner, parsed into one of its three forms from the flags that
// flags.ts reads. What most options mean is shared with the parallel-compatible command
// (parallel-args.ts), which has its own table of names and its own meanings for a few of them.
import { availableParallelism } from 'node:os';
import type { SpawnMethod } from '../core/options';
import { given, readFlags, rejectFlags, UsageError, type ArgumentSource, type OptionTable, type RawFlags } from './flags';
import { parseDuration, parseHalt, type Halt, type TimeoutLimit } from './policy';
import type { Expansion } from './replace';
import { parseRemote, type RemoteSettings } from './remote-args';
import { commandTemplate, replacementPattern, type CommandTemplate, type TemplateOptions } from './shell';

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

/** --pipe: stdin (or a file, --pipepart) cut into blocks of whole records, one block per run. */
export interface PipeSettings {
  blockBytes: number;
  /** -N n: n records per block instead of a size. */
  records: number | null;
  recend: string;
  recstart: string;
  /** --pipepart: the blocks come from this file (-a FILE). */
  file: string | null;
}

export type OutputMode = 'group' | 'line-buffer' | 'ungroup';

export interface CommandPoolInvocation extends Common {
  mode: 'commands';
  command: CommandTemplate;
  /** A number, or 0: as many as there are runs (capped). */
  workers: number;
  sources: ArgumentSource[];
  expansion: Expansion;
  /** -N, --max-args: inputs per run (1 unless given); 0: one input per run, none of it used. */
  maxArgs: number;
  /** -m, -X: as many inputs per run as fit, spread evenly over the job slots. */
  spreadArguments: boolean;
  /** Splits input items; null: lines ('\n'). */
  delimiter: string | null;
  /** --colsep: a regular expression, as in parallel. */
  colsep: RegExp | null;
  /** -r: no run for an empty input line. */
  skipEmpty: boolean;
  /** -v (parallel) and -t: each run's command, printed before its output, or on stderr. */
  echoCommand: 'stdout' | 'stderr' | null;
  pipe: PipeSettings | null;
  remote: RemoteSettings | null;
  keepOrder: boolean;
  output: OutputMode;
  tag: boolean;
  results: string | null;
  joblog: string | null;
  resume: 'no' | 'done' | 'failed';
  halt: Halt | null;
  /** Attempts in all for a failing run (as parallel's --retries); 0: until it succeeds. */
  attempts: number;
  delayMs: number;
  timeout: TimeoutLimit | null;
  dryRun: boolean;
  progress: Progress;
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
  progress: Progress;
  remote: RemoteSettings | null;
}

/** The progress line: on a terminal (auto), always (bar, eta), or never (none). */
export type Progress = 'auto' | 'bar' | 'eta' | 'none';

export type Invocation = SingleInvocation | CommandPoolInvocation | WorkerPoolInvocation | { mode: 'help' } | { mode: 'version' };

/** Where the two commands read the same option differently. */
export interface Dialect {
  /** --timeout and --delay: milliseconds by default (process-spawner) or seconds (parallel). */
  duration(text: string, allowPercent: boolean): TimeoutLimit;
  /** Whether a failed run prints a line on stderr unless -q (process-spawner; parallel prints none). */
  reportFailures: boolean;
  /** Without --bar or --eta: the progress line on a terminal (auto) or never. */
  defaultProgress: Progress;
  /** The shell for a command with shell syntax. */
  shell: string;
  /** Without --drain-timeout: what running runs get after SIGINT/SIGTERM (parallel stops them at once). */
  drainTimeoutMs: number;
}

const PIPE_VALUE_FLAGS = ['--block', '--recend', '--recstart'];
// The options both commands take, by the same name, read by commandPoolInvocation (the Dialect
// says where they differ); each command's table adds its own.
export const SHARED_VALUE_FLAGS = [
  '--jobs', '--max-args', '--arg-file', '--delimiter', '--colsep', '--timeout', '--retries', '--results', '--joblog', '--halt', '--delay',
  '--drain-timeout', '--spawn-method', ...PIPE_VALUE_FLAGS, '--sshlogin', '--sshloginfile', '--ssh', '--transferfile', '--return', '--trc', '--workdir',
];
export const SHARED_BOOLEAN_FLAGS = [
  '--help', '--version', '--keep-order', '--ungroup', '--line-buffer', '--group', '--tag', '--null', '--resume', '--resume-failed', '--dry-run',
  '--eta', '--bar', '--pipe', '--pipepart', '--link', '--cleanup', '--nonall', '--onall',
];
export const SHARED_ALIASES: Readonly<Record<string, string>> = {
  '--lb': '--line-buffer', '--res': '--results', '--slf': '--sshloginfile', '--tf': '--transferfile', '--xapply': '--link',
  '--block-size': '--block', '--spreadstdin': '--pipe', '--max-procs': '--jobs', '--wd': '--workdir',
};

// The short flags of process-spawner: those that take a value, and those that do not.
const TABLE: OptionTable = {
  shortValue: { j: '--jobs', P: '--jobs', w: '--jobs', n: '--tasks', N: '--max-args', a: '--arg-file', d: '--delimiter', C: '--colsep', S: '--sshlogin' },
  shortBoolean: { h: '--help', V: '--version', v: '--verbose', k: '--keep-order', u: '--ungroup', '0': '--null', q: '--quiet' },
  longAliases: { ...SHARED_ALIASES, '--workers': '--jobs' },
  valueFlags: new Set([...SHARED_VALUE_FLAGS, '--tasks', '--worker', '--input', '--max-queue']),
  booleanFlags: new Set([...SHARED_BOOLEAN_FLAGS, '--verbose', '--json', '--no-shell', '--quiet', '--no-progress']),
};
const DIALECT: Dialect = { duration: parseDuration, reportFailures: true, defaultProgress: 'auto', shell: '/bin/sh', drainTimeoutMs: 5000 };
// Options that make a run a pool of commands even without --tasks or ::: (arguments from stdin).
const POOL_FLAGS = [
  '--jobs', '--arg-file', '--delimiter', '--colsep', '--keep-order', '--ungroup', '--line-buffer', '--group', '--tag', '--null',
  '--results', '--joblog', '--resume', '--resume-failed', '--halt', '--retries', '--delay', '--timeout', '--dry-run', '--eta', '--bar',
  '--drain-timeout', '--max-args', '--no-progress', '--pipe', '--pipepart', '--link', '--sshlogin', '--sshloginfile', '--nonall', '--onall',
];
// Only with --worker.
const WORKER_ONLY = ['--input', '--max-queue'];
// Never with --worker.
const COMMANDS_ONLY = ['--tasks', '--max-args', '--arg-file', '--delimiter', '--colsep', '--keep-order', '--ungroup', '--line-buffer', '--group', '--tag', '--null',
  '--results', '--joblog', '--resume', '--resume-failed', '--halt', '--delay', '--dry-run', '--pipe', '--pipepart', '--link', '--transferfile',
  '--return', '--trc', '--cleanup', '--nonall', '--onall', '--workdir'];
const DEFAULT_BLOCK_BYTES = 1024 * 1024;
/** -j 0: as many runs at once as there are inputs, but never more than this. */
export const MAX_JOBS_FOR_ZERO = 256;

/** Every long option the command accepts, aliases included (--help names each). */
export function longOptionNames(table: OptionTable = TABLE): string[] {
  return [...table.valueFlags, ...table.booleanFlags, ...Object.keys(table.longAliases)];
}

export function parseArguments(argv: readonly string[]): Invocation {
  const flags = readFlags(argv, TABLE);
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
  const command = commandOf(flags, { noShell: flags.booleans.has('--no-shell') });
  // A replacement string in the command asks for one run per input as much as ::: does.
  const isPool = flags.values.has('--tasks') || flags.sources.length > 0 || POOL_FLAGS.some((name) => given(flags, name)) || hasReplacementString(flags);
  if (!isPool) {
    if (common.json) throw new UsageError('--json goes with a pool (--tasks, :::, -j, or --worker)');
    return { mode: 'single', ...common, command };
  }
  const invocation = commandPoolInvocation(flags, common, command, DIALECT);
  if (flags.values.has('--tasks')) {
    if (flags.sources.length > 0 || (flags.lists.get('--arg-file') ?? []).length > 0) {
      throw new UsageError('--tasks M gives the arguments 0..M-1; give no other arguments (:::, ::::, -a)');
    }
    invocation.sources = [{ kind: 'range', count: count(flags, '--tasks', 0, 0) }];
    invocation.expansion = { ...invocation.expansion, append: false };
  }
  return invocation;
}

function hasReplacementString(flags: RawFlags): boolean {
  const pattern = replacementPattern(null);
  return [...flags.words, ...(flags.direct ?? [])].some((word) => {
    pattern.lastIndex = 0;
    return pattern.test(word);
  });
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
    command: wrap('--no-shell', () => commandTemplate(worker, { noShell: flags.booleans.has('--no-shell') })),
    workers: jobsOf(flags, false),
    input: flags.values.get('--input') ?? null,
    timeoutMs: optionalDuration(flags, '--timeout', DIALECT),
    retries: count(flags, '--retries', 0, 0),
    maxQueue: optionalCount(flags, '--max-queue', 1),
    drainTimeoutMs: drainTimeoutOf(flags, DIALECT),
    progress: progressOf(flags, DIALECT),
    remote: wrap('--sshlogin', () => parseRemote(flags)),
  };
}

/** What the options of a pool of commands mean, for either command (`dialect` says where they differ). */
export function commandPoolInvocation(flags: RawFlags, common: Common, command: CommandTemplate, dialect: Dialect): CommandPoolInvocation {
  // As parallel: the -a files first, then the ::: and :::: sources.
  const sources = [...(flags.lists.get('--arg-file') ?? []).map((file): ArgumentSource => ({ kind: 'file', path: file })), ...flags.sources];
  if (flags.booleans.has('--link')) sources.forEach((source, index) => index > 0 && (source.link ??= 'wrap'));
  const outputs = ['--ungroup', '--line-buffer', '--group'].filter((name) => flags.booleans.has(name));
  if (outputs.length > 1) throw new UsageError(`${outputs.join(' and ')} cannot be combined: choose one output mode`);
  if (flags.booleans.has('--resume') && flags.booleans.has('--resume-failed')) throw new UsageError('--resume and --resume-failed cannot be combined');
  if ((flags.booleans.has('--resume') || flags.booleans.has('--resume-failed')) && !flags.values.has('--joblog')) {
    throw new UsageError('--resume and --resume-failed read the --joblog FILE: give it');
  }
  if (flags.booleans.has('--null') && flags.values.has('--delimiter')) throw new UsageError('-0 and -d cannot be combined');
  const pipe = pipeOf(flags);
  if (pipe === null && sources.length === 0) sources.push({ kind: 'stdin' });
  const remote = wrap('--sshlogin', () => parseRemote(flags));
  if (pipe !== null && remote !== null) throw new UsageError('--pipe with --sshlogin is not supported: the blocks go to local runs only');
  if (pipe !== null && flags.booleans.has('--dry-run')) throw new UsageError('--dry-run with --pipe is not supported: the blocks are cut as they are read');
  return {
    mode: 'commands',
    ...common,
    quiet: common.quiet || !dialect.reportFailures,
    command,
    workers: jobsOf(flags, true),
    sources: pipe === null ? sources : [],
    expansion: { append: pipe === null, context: flags.booleans.has('-X') },
    maxArgs: pipe === null ? count(flags, '--max-args', 1, 0) : 1,
    spreadArguments: flags.booleans.has('-X') || flags.booleans.has('-m'),
    delimiter: flags.booleans.has('--null') ? '\0' : delimiterOf(flags.values.get('--delimiter')),
    colsep: wrap('--colsep', () => colsepOf(flags.values.get('--colsep'))),
    skipEmpty: flags.booleans.has('--no-run-if-empty'),
    echoCommand: flags.booleans.has('-v') ? 'stdout' : flags.booleans.has('-t') ? 'stderr' : null,
    pipe,
    remote,
    keepOrder: flags.booleans.has('--keep-order'),
    output: flags.booleans.has('--ungroup') ? 'ungroup' : flags.booleans.has('--line-buffer') ? 'line-buffer' : 'group',
    tag: flags.booleans.has('--tag'),
    results: flags.values.get('--results') ?? null,
    joblog: flags.values.get('--joblog') ?? null,
    resume: flags.booleans.has('--resume') ? 'done' : flags.booleans.has('--resume-failed') ? 'failed' : 'no',
    halt: wrap('--halt', () => (flags.values.has('--halt') ? parseHalt(flags.values.get('--halt') as string) : null)),
    attempts: count(flags, '--retries', 1, 0),
    delayMs: optionalDuration(flags, '--delay', dialect) ?? 0,
    timeout: wrap('--timeout', () => (flags.values.has('--timeout') ? dialect.duration(flags.values.get('--timeout') as string, true) : null)),
    dryRun: flags.booleans.has('--dry-run'),
    progress: progressOf(flags, dialect),
    drainTimeoutMs: drainTimeoutOf(flags, dialect),
  };
}

// --pipe, --pipepart: the block size (parallel's suffixes k M G T, powers of 1024), records.
function pipeOf(flags: RawFlags): PipeSettings | null {
  const part = flags.booleans.has('--pipepart');
  if (!part && !flags.booleans.has('--pipe')) {
    const stray = PIPE_VALUE_FLAGS.filter((name) => flags.values.has(name));
    if (stray.length > 0) throw new UsageError(`${stray.join(', ')} only goes with --pipe or --pipepart`);
    return null;
  }
  const files = flags.lists.get('--arg-file') ?? [];
  if (part && files.length !== 1) throw new UsageError('--pipepart reads one file: give it with -a FILE');
  if (flags.sources.length > 0 || (!part && files.length > 0)) throw new UsageError('--pipe reads stdin: give no :::, :::: or -a (--pipepart reads the -a FILE)');
  return {
    blockBytes: wrap('--block', () => blockBytesOf(flags.values.get('--block'))),
    records: optionalCount(flags, '--max-args', 1),
    recend: unescape(flags.values.get('--recend') ?? '\n'),
    recstart: unescape(flags.values.get('--recstart') ?? ''),
    file: part ? (files[0] as string) : null,
  };
}

/** As parallel: K M G T P are powers of 1024 (`1M`), k m g t p powers of 1000 (`200k`); or bytes. */
function blockBytesOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_BLOCK_BYTES;
  const match = /^(\d+(?:\.\d+)?)([KMGTPkmgtp]?)$/.exec(text);
  if (match === null) throw new RangeError(`expected a size like 1M, 512K, 200k or a number of bytes, got '${text}'`);
  const unit = match[2] as string;
  const power = unit === '' ? 0 : 'kmgtp'.indexOf(unit.toLowerCase()) + 1;
  const bytes = Math.floor(Number(match[1]) * (unit === unit.toUpperCase() ? 1024 : 1000) ** power);
  if (bytes < 1) throw new RangeError(`the block must be at least 1 byte, got '${text}'`);
  return bytes;
}

/** `\n`, `\t`, `\0`, `\r` as those characters (for -d, --recend, --recstart). */
function unescape(text: string): string {
  return text.replace(/\\([ntr0\\])/g, (_match, letter: string) => ({ n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\' })[letter] as string);
}

export function commandOf(flags: RawFlags, options: TemplateOptions): CommandTemplate {
  if (flags.direct !== null) {
    if (flags.direct.length === 0) throw new UsageError('missing the file to run after --');
    if (flags.direct[0] === '') throw new UsageError('the file to run after -- is an empty string');
    return { argv: flags.direct, shell: false, ...(options.pattern === undefined ? {} : { pattern: options.pattern }) };
  }
  if (flags.words.length === 0) throw new UsageError('missing the command to run');
  const command = flags.words.join(' ');
  if (command.trim() === '') throw new UsageError('the command is an empty string');
  return wrap('--no-shell', () => commandTemplate(command, options));
}

export function spawnMethodOf(text: string | undefined): SpawnMethod | undefined {
  if (text === undefined) return undefined;
  if (text === 'fork' || text === 'vfork') return text;
  throw new UsageError(`--spawn-method takes fork or vfork, got '${text}'`);
}

function delimiterOf(text: string | undefined): string | null {
  if (text === undefined) return null;
  const delimiter = unescape(text);
  if (delimiter.length !== 1) throw new UsageError(`-d takes one character (or \\n, \\t, \\0), got '${text}'`);
  return delimiter;
}

// --colsep is a regular expression, as in parallel: '\t', ' +', ','.
function colsepOf(text: string | undefined): RegExp | null {
  if (text === undefined) return null;
  if (text === '') throw new RangeError('expected a regular expression, got an empty string');
  try {
    return new RegExp(text);
  } catch {
    throw new RangeError(`not a regular expression: '${text}'`);
  }
}

function progressOf(flags: RawFlags, dialect: Dialect): Progress {
  if (flags.booleans.has('--no-progress')) return 'none';
  if (flags.booleans.has('--eta')) return 'eta';
  return flags.booleans.has('--bar') || flags.booleans.has('--progress') ? 'bar' : dialect.defaultProgress;
}

/** -j N, -j 0 (as many as the inputs, capped, where `allowZero`), -j 50% of the CPUs, -j +N and -j -N (CPUs plus or minus N). */
function jobsOf(flags: RawFlags, allowZero: boolean): number {
  const text = flags.values.get('--jobs');
  if (text === undefined) return availableParallelism();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent !== null) return Math.max(1, Math.floor((availableParallelism() * Number(percent[1])) / 100));
  const relative = /^([+-])(\d+)$/.exec(text);
  if (relative !== null) return Math.max(1, availableParallelism() + (relative[1] === '+' ? 1 : -1) * Number(relative[2]));
  if (text === '0' && allowZero) return 0;
  return count(flags, '--jobs', 0, 1, '-j/--jobs takes a whole number of at least 1 (or 0, +N, -N, or a percentage of the CPUs like 50%)');
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
function drainTimeoutOf(flags: RawFlags, dialect: Dialect): number {
  return optionalDuration(flags, '--drain-timeout', dialect) ?? dialect.drainTimeoutMs;
}

function optionalDuration(flags: RawFlags, name: string, dialect: Dialect): number | null {
  const text = flags.values.get(name);
  if (text === undefined) return null;
  return wrap(name, () => {
    const limit = dialect.duration(text, false);
    return limit.kind === 'ms' ? limit.ms : 0;
  });
}

/** Runs a parser whose RangeError becomes a usage error naming the option. */
export function wrap<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`${name}: ${error.message}`);
    throw error;
  }
}
