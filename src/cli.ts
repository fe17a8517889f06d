#!/usr/bin/env node
// The process-spawner command.
//   process-spawner [options] "command string"                 one program, through /bin/sh -c
//   process-spawner [options] -- file arg...                    one program, exec'd directly
//   process-spawner --workers N --tasks M [options] "command"   a pool of commands
//   process-spawner --worker "command" [--workers N] [options]  a pool of protocol workers
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ProcessSpawnerError, SpawnError } from './errors';
import { parseArguments, UsageError, type Invocation } from './cli/args';
import { CommandPool } from './cli/command-pool';
import { log } from './cli/lifecycle';
import { runSingle } from './cli/single';
import { WorkerPoolRun } from './cli/worker-pool';

const USAGE = `usage: process-spawner [options] "command string"
       process-spawner [options] -- file [arg...]
       process-spawner --workers N --tasks M [options] "command"
       process-spawner --worker "command" [--workers N] [options] < tasks`;

const HELP = `${USAGE}

Runs programs with fork, dup2 and execve, their output through pipes of ours.

One program: its stdin, stdout and stderr pass through, and its exit status is ours (128 + n
when signal n ended it). SIGINT, SIGTERM, SIGHUP and SIGQUIT are passed on to it.
  "command string"      run through /bin/sh -c (the hyperfine and GNU parallel convention)
  -- file arg...        exec'd directly, no shell
  --no-shell            split the command string with shell-like quoting instead of using sh

A pool of commands: M runs of the command, at most N at once; each run's output is printed as
one block, never interleaved; {} in the command becomes the run's index (0 to M-1).
  -w, --workers N       runs at once (default: the number of CPUs)
  -n, --tasks M         how many runs
  -k, --keep-order      print blocks in run order, not as runs finish
  --timeout MS          stop a run (its whole process group) after MS milliseconds

A pool of protocol workers (docs/protocol.md): each line of stdin, or of --input FILE, is one
task; results are printed one per line in input order, failures on stderr with the line number.
  --worker "command"    the worker, started with /bin/sh -c "exec command"
  -w, --workers N       workers (default: the number of CPUs)
  --input FILE          read tasks from FILE instead of stdin
  --timeout MS          a task running longer fails, and its worker is replaced
  --retries N           send a task again, this many times, when its worker dies under it
  --max-queue N         tasks waiting for a worker at most (default: 4 per worker)

Both pools: a progress line on stderr when it is a terminal; --json prints a summary (counts,
per-task status and durations, wall time) on stdout instead of the outputs. SIGINT or SIGTERM
stops them gracefully (exit 130 or 143); a second SIGINT kills at once.

  -v, --verbose         lifecycle lines on stderr: spawns (pid, argv), ends (status, duration,
                        user and system CPU, max RSS), crashes and respawns
  -h, --help            this help
  -V, --version         the version

Examples:
  process-spawner "echo hello world"
  process-spawner -- echo hello world
  echo hello | process-spawner --verbose cat
  process-spawner --workers 3 --tasks 5 "sleep 1; echo done"
  process-spawner -w 4 -n 8 --keep-order "echo task {}"
  printf 'a\\nb\\n' | process-spawner --worker "node worker.js" --workers 2
`;

function version(): string {
  const packageJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return packageJson.version;
}

async function dispatch(invocation: Exclude<Invocation, { mode: 'help' } | { mode: 'version' }>): Promise<number> {
  switch (invocation.mode) {
    case 'single':
      return runSingle(invocation);
    case 'commands':
      return new CommandPool(invocation).run();
    case 'workers':
      return new WorkerPoolRun(invocation).run();
  }
}

export async function main(argv: string[]): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = parseArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    log(error.message);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (invocation.mode === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (invocation.mode === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  try {
    return await dispatch(invocation);
  } catch (error) {
    if (error instanceof SpawnError) {
      log(`${invocation.command.argv[0]}: ${error.message}`);
      return error.exitCode ?? 127;
    }
    // A worker pool that cannot start: say why, as a tool does, without a stack trace.
    if (error instanceof ProcessSpawnerError) {
      log(error.message);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  // Once our reader is gone, what is still printed goes nowhere; each mode decides how to stop.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  main(process.argv.slice(2)).then((status) => {
    process.exitCode = status;
  });
}
