#!/usr/bin/env node
// The process-spawner command: run one program through our pipes and exit with its status.
//   process-spawner [options] "command string"   runs the string with /bin/sh -c
//   process-spawner [options] -- file arg...      execs the file directly, no shell
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from './spawn';
import { SpawnError } from './errors';
import { toSignalNumber } from './signals';
import type { Subprocess, ExitInfo } from './subprocess';

const USAGE = 'usage: process-spawner [--verbose] "command string" | process-spawner [--verbose] -- file [arg...]';

const HELP = `${USAGE}

Runs a program with fork, dup2 and execve, passing its stdin, stdout and stderr through pipes,
and exits with its exit status (128 + n when a signal n ended it).

  "command string"   run through /bin/sh -c, as hyperfine and GNU parallel do
  -- file arg...     exec the file directly (searched in PATH), with no shell

Options:
  -v, --verbose      lifecycle lines on stderr: the pid and argv spawned, how it ended, its rusage
  -h, --help         this help
  -V, --version      the version

Examples:
  process-spawner "echo hello world"
  process-spawner -- echo hello world
  echo hello | process-spawner --verbose cat
`;

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

interface Invocation {
  verbose: boolean;
  file: string;
  args: string[];
}

class UsageError extends Error {}

function parseArguments(argv: string[]): Invocation | 'help' | 'version' {
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      const [file, ...args] = argv.slice(i + 1);
      if (file === undefined) throw new UsageError('missing the file to run after --');
      return { verbose, file, args };
    }
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '-V' || arg === '--version') return 'version';
    if (arg === '-v' || arg === '--verbose') {
      verbose = true;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      if (i !== argv.length - 1) throw new UsageError('give the command as one string, or use -- file arg...');
      return { verbose, file: '/bin/sh', args: ['-c', arg] };
    }
  }
  throw new UsageError('missing the command to run');
}

function log(message: string): void {
  process.stderr.write(`process-spawner: ${message}\n`);
}

function describeExit(info: ExitInfo): string {
  const how = info.signal !== null ? `signal ${info.signal}${info.coreDumped ? ' (core dumped)' : ''}` : `exit ${info.exitCode}`;
  const usage = info.rusage;
  const cpu = usage === null ? '' : ` user ${(usage.userCpuMicros / 1000).toFixed(1)} ms, system ${(usage.systemCpuMicros / 1000).toFixed(1)} ms, max RSS ${usage.maxRssKiB} KiB`;
  return `pid ${info.pid} ended: ${how}, status ${info.status}, after ${info.durationMs.toFixed(1)} ms;${cpu}`;
}

// The shell's convention: a signal n becomes 128 + n.
function exitStatusOf(info: ExitInfo): number {
  if (info.signal !== null) return 128 + toSignalNumber(info.signal);
  return info.exitCode ?? 1;
}

function connectStdio(child: Subprocess): void {
  // The child may stop reading before we stop writing: that EPIPE is its business, not a crash.
  child.stdin?.on('error', () => undefined);
  process.stdin.pipe(child.stdin as NodeJS.WritableStream);
  child.stdout?.pipe(process.stdout);
  child.stderr?.pipe(process.stderr);
}

function forwardSignals(child: Subprocess): () => void {
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return () => {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  };
}

async function runOne(invocation: Invocation): Promise<number> {
  const child = spawn(invocation.file, invocation.args);
  if (invocation.verbose) log(`spawned pid ${child.pid}: ${JSON.stringify(child.spawnargs)}`);
  const stopForwarding = forwardSignals(child);
  connectStdio(child);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const info = await child.exited;
  // Stop reading our stdin so that it no longer holds the event loop open.
  process.stdin.unpipe(child.stdin as NodeJS.WritableStream);
  process.stdin.destroy();
  await closed;
  stopForwarding();
  if (invocation.verbose) log(describeExit(info));
  return exitStatusOf(info);
}

function version(): string {
  const packageJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return packageJson.version;
}

export async function main(argv: string[]): Promise<number> {
  let invocation: Invocation | 'help' | 'version';
  try {
    invocation = parseArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    log(error.message);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (invocation === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (invocation === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  try {
    return await runOne(invocation);
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    log(`${invocation.file}: ${error.message}`);
    return error.exitCode ?? 127;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((status) => {
    process.exitCode = status;
  });
}
