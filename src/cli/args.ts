// The command line of process-spawner, parsed into one of its three forms.
import { availableParallelism } from 'node:os';
import { tokenize, TokenizeError } from './tokenize';

export class UsageError extends Error {}
UsageError.prototype.name = 'UsageError';

/** How the program of a single run or a command pool is started: through sh, or exec'd. */
export interface CommandTemplate {
  /** The argv to exec; `{}` is replaced by the task index in pool mode. */
  argv: string[];
}

interface Common {
  verbose: boolean;
  json: boolean;
}

export interface SingleInvocation extends Common {
  mode: 'single';
  command: CommandTemplate;
}

export interface CommandPoolInvocation extends Common {
  mode: 'commands';
  command: CommandTemplate;
  workers: number;
  tasks: number;
  keepOrder: boolean;
  timeoutMs: number | null;
}

export interface WorkerPoolInvocation extends Common {
  mode: 'workers';
  /** The worker, started with `/bin/sh -c "exec <command>"` (or tokenized with --no-shell). */
  command: CommandTemplate;
  workers: number;
  input: string | null;
  timeoutMs: number | null;
  retries: number;
  maxQueue: number | null;
}

export type Invocation = SingleInvocation | CommandPoolInvocation | WorkerPoolInvocation | { mode: 'help' } | { mode: 'version' };

const VALUE_FLAGS = new Set(['--workers', '-w', '--tasks', '-n', '--worker', '--input', '--timeout', '--retries', '--max-queue']);

interface RawFlags {
  verbose: boolean;
  json: boolean;
  keepOrder: boolean;
  noShell: boolean;
  values: Map<string, string>;
  positionals: string[];
  direct: string[] | null;
}

export function parseArguments(argv: readonly string[]): Invocation {
  const flags = readFlags(argv);
  if (flags.values.has('help')) return { mode: 'help' };
  if (flags.values.has('version')) return { mode: 'version' };
  const common = { verbose: flags.verbose, json: flags.json };
  const worker = flags.values.get('--worker');
  if (worker !== undefined) {
    if (flags.positionals.length > 0 || flags.direct !== null) {
      throw new UsageError('--worker takes the worker command as its value; give no other command');
    }
    rejectFlags(flags, ['--tasks', '--keep-order'], '--worker');
    return {
      mode: 'workers',
      ...common,
      command: { argv: flags.noShell ? tokenizeOrThrow(worker) : ['/bin/sh', '-c', `exec ${worker}`] },
      workers: count(flags, '--workers', availableParallelism(), 1),
      input: flags.values.get('--input') ?? null,
      timeoutMs: optionalCount(flags, '--timeout', 1),
      retries: count(flags, '--retries', 0, 0),
      maxQueue: optionalCount(flags, '--max-queue', 1),
    };
  }
  const command = commandTemplate(flags);
  rejectFlags(flags, ['--input', '--retries', '--max-queue'], '--worker');
  if (flags.values.has('--tasks')) {
    return {
      mode: 'commands',
      ...common,
      command,
      workers: count(flags, '--workers', availableParallelism(), 1),
      tasks: count(flags, '--tasks', 1, 0),
      keepOrder: flags.keepOrder,
      timeoutMs: optionalCount(flags, '--timeout', 1),
    };
  }
  if (flags.values.has('--workers')) throw new UsageError('--workers needs --tasks M (a pool of commands) or --worker "command"');
  rejectFlags(flags, ['--keep-order', '--timeout', '--json'], '--tasks or --worker');
  return { mode: 'single', ...common, command };
}

function readFlags(argv: readonly string[]): RawFlags {
  const flags: RawFlags = { verbose: false, json: false, keepOrder: false, noShell: false, values: new Map(), positionals: [], direct: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [name, inlineValue] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name === '--') {
      flags.direct = argv.slice(i + 1);
      break;
    }
    if (name === '-h' || name === '--help') flags.values.set('help', '');
    else if (name === '-V' || name === '--version') flags.values.set('version', '');
    else if (name === '-v' || name === '--verbose') flags.verbose = true;
    else if (name === '--json') flags.json = true;
    else if (name === '-k' || name === '--keep-order') flags.keepOrder = true;
    else if (name === '--no-shell') flags.noShell = true;
    else if (VALUE_FLAGS.has(name)) {
      const value = inlineValue ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      flags.values.set(canonical(name), value);
    } else if (name.startsWith('-') && name !== '-') {
      throw new UsageError(`unknown option ${name}`);
    } else {
      flags.positionals.push(arg);
    }
  }
  return flags;
}

function canonical(name: string): string {
  if (name === '-w') return '--workers';
  if (name === '-n') return '--tasks';
  return name;
}

function commandTemplate(flags: RawFlags): CommandTemplate {
  if (flags.direct !== null) {
    if (flags.positionals.length > 0) throw new UsageError('give the command either as one string or after --, not both');
    if (flags.direct.length === 0) throw new UsageError('missing the file to run after --');
    return { argv: flags.direct };
  }
  if (flags.positionals.length === 0) throw new UsageError('missing the command to run');
  if (flags.positionals.length > 1) throw new UsageError('give the command as one string (quote it), or use -- file arg...');
  const command = flags.positionals[0] as string;
  if (!flags.noShell) return { argv: ['/bin/sh', '-c', command] };
  const argv = tokenizeOrThrow(command);
  if (argv.length === 0) throw new UsageError('the command is empty');
  return { argv };
}

function tokenizeOrThrow(command: string): string[] {
  try {
    return tokenize(command);
  } catch (error) {
    if (error instanceof TokenizeError) throw new UsageError(`--no-shell: ${error.message}`);
    throw error;
  }
}

function count(flags: RawFlags, name: string, fallback: number, min: number): number {
  return optionalCount(flags, name, min) ?? fallback;
}

function optionalCount(flags: RawFlags, name: string, min: number): number | null {
  const text = flags.values.get(name);
  if (text === undefined) return null;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${name} takes a whole number of at least ${min}, got '${text}'`);
  }
  return value;
}

function rejectFlags(flags: RawFlags, names: string[], needs: string): void {
  for (const name of names) {
    const given = name === '--keep-order' ? flags.keepOrder : name === '--json' ? flags.json : flags.values.has(name);
    if (given) throw new UsageError(`${name} only goes with ${needs}`);
  }
}
