// The command line of the parallel-compatible command: GNU parallel's options, each meaning what
// it means there (-n and -N arguments per run, --timeout in seconds, -q quoting, -v printing the
// command, -I a replacement string of the user's choice), read by the same reader as
// process-spawner's and run by the same pool. It is always a pool: with no command, each input is
// a command (`parallel < jobs.txt`).
import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import {
  commandOf,
  commandPoolInvocation,
  longOptionNames,
  SHARED_ALIASES,
  SHARED_BOOLEAN_FLAGS,
  SHARED_VALUE_FLAGS,
  spawnMethodOf,
  wrap,
  type CommandTemplate,
  type Dialect,
  type Invocation,
} from './args';
import { readFlags, UsageError, type OptionTable, type RawFlags } from './flags';
import { procStatFields } from '../core/proc-stat';
import { parseSeconds } from './policy';
import { inputCommandTemplate, replacementPattern } from './shell';

const TABLE: OptionTable = {
  shortValue: { j: '--jobs', P: '--jobs', n: '--max-args', N: '--max-args', a: '--arg-file', d: '--delimiter', C: '--colsep', I: '-I', S: '--sshlogin' },
  shortBoolean: { h: '--help', V: '--version', v: '-v', t: '-t', k: '--keep-order', u: '--ungroup', '0': '--null', q: '--quote', r: '--no-run-if-empty', m: '-m', X: '-X' },
  longAliases: {
    ...SHARED_ALIASES,
    '--max-replace-args': '--max-args',
    '--halt-on-error': '--halt',
    '--verbose': '-v',
    '--xargs': '-m',
  },
  valueFlags: new Set([...SHARED_VALUE_FLAGS, '-I', '--tmpdir']),
  booleanFlags: new Set([...SHARED_BOOLEAN_FLAGS, '-v', '-t', '--quote', '--no-run-if-empty', '-m', '-X', '--progress', '--will-cite', '--no-notice', '--plain']),
};

// The shells parallel recognizes in its ancestors; ours quotes for the Bourne-style ones among them.
const SHELLS = new Set(['ash', 'bash', 'bsd-csh', 'csh', 'dash', 'fdsh', 'fish', 'fizsh', 'ksh', 'ksh93', 'lksh', 'mksh', 'pdksh', 'posh', 'rbash', 'rc', 'rush', 'rzsh', 'sash', 'sh', 'static-sh', 'tcsh', 'yash', 'zsh']);
const BOURNE_SHELLS = new Set(['ash', 'bash', 'dash', 'ksh', 'ksh93', 'lksh', 'mksh', 'pdksh', 'posh', 'rbash', 'sh', 'yash', 'zsh']);
// How far up the process tree the shell is looked for.
const MAX_ANCESTORS = 64;

export function parallelOptionNames(): string[] {
  return longOptionNames(TABLE);
}

export function parseParallelArguments(argv: readonly string[]): Invocation {
  const flags = readFlags(argv, TABLE);
  if (flags.booleans.has('--help')) return { mode: 'help' };
  if (flags.booleans.has('--version')) return { mode: 'version' };
  const tmpdir = flags.values.get('--tmpdir');
  if (tmpdir !== undefined) process.env['TMPDIR'] = tmpdir;
  const shell = userShell();
  const dialect: Dialect = { duration: parseSeconds, reportFailures: false, defaultProgress: 'none', shell, drainTimeoutMs: 0 };
  const common = { verbose: false, json: false, quiet: false, spawnMethod: spawnMethodOf(flags.values.get('--spawn-method')) };
  return commandPoolInvocation(flags, common, templateOf(flags, shell), dialect);
}

function templateOf(flags: RawFlags, shell: string): CommandTemplate {
  const pattern = wrap('-I', () => replacementPattern(flags.values.get('-I') ?? null));
  if (flags.words.length === 0 && flags.direct === null) {
    if (flags.booleans.has('--pipe') || flags.booleans.has('--pipepart')) throw new UsageError('--pipe needs a command to feed the blocks to');
    return inputCommandTemplate(shell);
  }
  // -q: the words are the argv, each one quoted; nothing in them is the shell's.
  if (flags.booleans.has('--quote') && flags.direct === null) return { argv: flags.words, shell: false, pattern };
  return commandOf(flags, { shell, pattern });
}

/**
 * The shell runs use, as parallel picks it: $PARALLEL_SHELL, else the nearest ancestor of ours
 * that is a shell (the one the user typed the command in, or a script's), else $SHELL, else
 * /bin/sh. A shell whose quoting is not the Bourne shell's (csh, fish, rc) gives /bin/sh here.
 */
function userShell(): string {
  const chosen = process.env['PARALLEL_SHELL'];
  if (chosen !== undefined && chosen !== '') return chosen;
  const found = ancestorShell() ?? process.env['SHELL'];
  if (found === undefined || found === '') return '/bin/sh';
  return BOURNE_SHELLS.has(path.basename(found)) ? found : '/bin/sh';
}

// Walks up from our parent: the first process whose argv[0] names a shell (`-bash` for a login
// shell), as the path of its executable.
function ancestorShell(): string | undefined {
  for (let pid = process.ppid, step = 0; pid > 1 && step < MAX_ANCESTORS; step++) {
    const name = path.basename(argv0Of(pid) ?? '').replace(/^-/, '');
    if (SHELLS.has(name)) return executableOf(pid);
    const fields = procStatFields(pid);
    if (fields === null) return undefined;
    pid = Number(fields[1]);
  }
  return undefined;
}

function argv0Of(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0];
  } catch {
    return undefined;
  }
}

function executableOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}
