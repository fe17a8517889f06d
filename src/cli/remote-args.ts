// -S/--sshlogin, --slf: the hosts that runs go to over ssh, as GNU parallel names them
// (`[N/]login`, `:` for this machine, comma-separated or given again), and what goes with them:
// --ssh (or $PARALLEL_SSH), --transferfile, --return, --cleanup, --trc, --nonall, --onall, --workdir.
import { readFileSync } from 'node:fs';
import type { RawFlags } from './flags';
import { tokenize, TokenizeError } from './tokenize';

export interface RemoteHost {
  /** What ssh gets as the destination (`user@host`, an alias of ~/.ssh/config), or `:` for local. */
  login: string;
  /** N/ before the login: runs at once on it; null: -j's number. */
  slots: number | null;
}

export interface RemoteSettings {
  /** The ssh command, split into words: `ssh`, or `ssh -F config -p 2222`. */
  ssh: string[];
  hosts: RemoteHost[];
  /** Files (replacement strings allowed) copied to the host before the run, at the same relative path. */
  transfer: string[];
  /** Files copied back after the run. */
  returns: string[];
  /** Remove the transferred and returned files on the host after the run. */
  cleanup: boolean;
  /** jobs: each run on one host; onall: every run on every host; nonall: the command once per host, no arguments. */
  spread: 'jobs' | 'onall' | 'nonall';
  /** --workdir: where runs start and files go on the host (`.`: our working directory); null: the login's home. */
  workdir: string | null;
  /** No -j given: each host without N/ runs as many at once as it has CPUs, asked over ssh. */
  askSlots: boolean;
}

export const LOCAL = ':';

/** The remote settings, or null when no host was given (a RangeError for a bad one). */
export function parseRemote(flags: RawFlags): RemoteSettings | null {
  const logins = (flags.lists.get('--sshlogin') ?? []).flatMap((value) => value.split(','));
  const file = flags.values.get('--sshloginfile');
  if (file !== undefined) logins.push(...loginsInFile(file));
  const trc = flags.lists.get('--trc') ?? [];
  const transfer = [...(flags.lists.get('--transferfile') ?? []), ...(trc.length > 0 ? ['{}'] : [])];
  const returns = [...(flags.lists.get('--return') ?? []), ...trc];
  const spread = flags.booleans.has('--nonall') ? 'nonall' : flags.booleans.has('--onall') ? 'onall' : 'jobs';
  if (logins.length === 0) {
    if (transfer.length > 0 || returns.length > 0 || spread !== 'jobs' || flags.booleans.has('--cleanup') || flags.values.has('--workdir')) {
      throw new RangeError('--transferfile, --return, --cleanup, --trc, --onall, --nonall and --workdir go with hosts: give them with -S or --slf');
    }
    return null;
  }
  return {
    ssh: sshCommand(flags.values.get('--ssh') ?? process.env['PARALLEL_SSH'] ?? 'ssh'),
    hosts: logins.map(hostOf),
    transfer,
    returns,
    cleanup: flags.booleans.has('--cleanup') || trc.length > 0,
    spread,
    workdir: workdirOf(flags.values.get('--workdir')),
    askSlots: !flags.values.has('--jobs'),
  };
}

function workdirOf(text: string | undefined): string | null {
  if (text === undefined) return null;
  if (text === '') throw new RangeError('--workdir needs a directory');
  return text === '.' ? process.cwd() : text;
}

function loginsInFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RangeError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`);
  }
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function hostOf(text: string): RemoteHost {
  const match = /^(?:(\d+)\/)?(.+)$/.exec(text.trim());
  if (match === null) throw new RangeError(`expected [N/]login or ':', got '${text}'`);
  const slots = match[1] === undefined ? null : Number(match[1]);
  if (slots === 0) throw new RangeError(`a host needs at least 1 slot, got '${text}'`);
  return { login: match[2] as string, slots };
}

function sshCommand(text: string): string[] {
  try {
    const words = tokenize(text);
    if (words.length > 0) return words;
  } catch (error) {
    if (!(error instanceof TokenizeError)) throw error;
  }
  throw new RangeError(`--ssh needs a command like 'ssh -p 2222', got '${text}'`);
}
