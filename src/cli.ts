#!/usr/bin/env node
// The process-spawner command. docs/cli.md is its reference; HELP below is the same, shorter.
import { parseArguments } from './cli/args';
import { runCommandLine, type CommandLine } from './cli/main';

const USAGE = `usage: process-spawner [options] "command string" | -- file [arg...]
       process-spawner [options] command [{}...] ::: arg... [::: arg...] [:::: file]
       process-spawner -j N [options] command < arguments
       process-spawner -j N -n M [options] command          (runs with {} = 0..M-1)
       process-spawner -N n [options] command ::: arg...     (n arguments per run)
       process-spawner --worker "command" [-j N] [options] < tasks
Try 'process-spawner --help'.`;

const HELP = `${USAGE.slice(0, USAGE.lastIndexOf('\n'))}

Runs programs with fork (or vfork), dup2 and execve. A command string with no shell syntax is
exec'd directly; one with shell syntax runs with /bin/sh -c, its last command exec'd.

ONE PROGRAM: its stdin, stdout and stderr pass through, and its exit status is ours (128 + n when
signal n ended it). It runs in a process group of its own: on a terminal it is made the
foreground group (Ctrl-C reaches it once, from the terminal; Ctrl-Z stops it and the command,
as a shell job: fg continues both); otherwise every signal we get (INT TERM HUP QUIT USR1 USR2
WINCH ALRM) is forwarded to it, once.
  -- file arg...          exec'd directly, no shell
  --no-shell              split the command string with shell quoting, never use sh

A POOL OF COMMANDS (like GNU parallel and xargs -P): one run per argument, at most N at once.
Arguments:
  ::: a b c               the arguments; several ::: combine as a cross product
  :::: FILE, -a FILE      one argument per line of FILE (:::: - is stdin); also --arg-file FILE
  (none)                  one argument per line of stdin, when any pool option is given
  -n, --tasks M           M runs with the arguments 0..M-1 (not parallel's or xargs' -n: use -N)
  -N, --max-args n        n arguments per run (the last run gets what is left): {} is all of
                          them, {1}..{n} each one; appended when the command has neither
  -0, --null              arguments end with NUL, not newline;  -d, --delimiter C: with C
  -C, --colsep SEP        split each argument into columns {1} {2} ...
Replacement strings in the command ({} is appended when there are none; values are quoted for
the shell): {} the argument, {1} {2} a column, {.} without extension, {/} basename, {//} dirname,
{/.} basename without extension, {#} the run's number (1-based), {%} its slot (1..N).
Each run also gets PROCESS_SPAWNER_SEQ ({#}) and PROCESS_SPAWNER_SLOT ({%}) in its environment.
  -j, -P, -w, --jobs N    runs at once (default: the CPUs); 0: one per argument (at most 256);
                          50%: half the CPUs. Also --workers, --max-procs. Short flags combine:
                          -kj4
Output:
  (default), --group      each run's output printed whole when it ends, never interleaved
  --line-buffer, --lb     whole lines as they come;   -u, --ungroup: bytes as they come
                          (while our stdout is full, the runs' pipes are not read)
  -k, --keep-order        in argument order (with every mode)
  --tag                   each line prefixed with the arguments and a tab
  --results, --res DIR    also keep each run's output in DIR/<seq>/stdout, stderr, exitval, args
  A run's output is held in memory up to 256 KiB, past that in an unlinked temp file.
Failures and logs:
  one line on stderr per failed run (number, arguments, exit status or signal, pid); -q, --quiet
                          prints none
  --joblog FILE           GNU parallel's TSV joblog (Seq Host Starttime JobRuntime Send Receive
                          Exitval Signal Command) plus UserCPU SystemCPU MaxRSS
  --resume                skip the runs already in the joblog; --resume-failed: run the failed
                          ones again, skip those that succeeded
  --halt now,fail=N       stop at N failed runs (kill the running ones); soon,fail=N: start no
                          more, let the running ones end; now,success=N; N may be a percentage
  --retries N             run a failed run again, up to N more times
  --delay T               at least T between two starts
  --timeout T             stop a run (its process group: SIGTERM, SIGKILL 2 s later) after T;
                          T as 500ms, 2s, 1m, or 200% of the median runtime so far
  --dry-run               print the commands, run nothing
  --eta, --bar            the progress line (with an ETA), even when stderr is not a terminal
  --json                  print a summary on stdout instead of the outputs: per run its status,
                          rusage, stdout and stderr (paths with --results)
  --drain-timeout T       after SIGINT or SIGTERM no queued run is started and the running ones
                          get T to finish (default 5s); then SIGTERM to their groups, SIGKILL 2 s
                          later. A second SIGINT (Ctrl-C again) kills them at once. Exit 130/143.
                          SIGHUP, or our reader gone (EPIPE), stops the runs at once.

A POOL OF PROTOCOL WORKERS (docs/protocol.md): each line of stdin (or --input FILE) is a task,
results are printed one per line in input order; a failed task prints an empty line and its
error on stderr with the line number.
  --worker "command"      the worker command (FOO=1 node w.js, cd d && node w.js work: the
                          worker's pid is still the program's own)
  -j N, --workers N       workers (default: the CPUs)
  --input FILE            tasks from FILE (the progress line then has a bar)
  --timeout T             a task running longer fails, and its worker is replaced
  --retries N             send a task again when its worker dies under it
  --max-queue N           tasks read ahead at most (default: 4 per worker); none is read while
                          our stdout is full
  --drain-timeout T       after SIGINT/SIGTERM: no queued task is started, the running ones get
                          T to finish (default 5s), then SHUTDOWN_REQUEST, SIGTERM, SIGKILL;
                          a second SIGINT kills the workers at once. Exit 130/143.
  --json                  a summary: per task its status, result and worker pid

Everywhere:
  --spawn-method M        fork or vfork (clone(CLONE_VM|CLONE_VFORK)); default: the library's
  -v, --verbose           lifecycle lines on stderr: spawns (pid, argv), ends (status, duration,
                          user and system CPU, max RSS), crashes and respawns
  -h, --help, -V, --version
No child outlives the command: it is a child subreaper (prctl), and at the end every process
left that it adopted (setsid, double fork) gets SIGTERM, then SIGKILL 1 s later, and is reaped.

Exit status: one program: its status (128 + n for signal n; 127/126 when it cannot be run).
Pools: 0 all succeeded, 1-100 the number of failed runs, 101 more than 100 failed, 130/143
interrupted by SIGINT/SIGTERM, 141 our reader went away; 255 a usage or internal error.

Examples:
  process-spawner "echo hello world"
  process-spawner -- echo hello world
  process-spawner -j 2 echo {} ::: a b c
  ls *.log | process-spawner -j 4 gzip
  process-spawner -k --tag echo {1}-{2} ::: x y ::: 1 2
  process-spawner -j 4 -n 8 -k "echo task {}"
  process-spawner -k -N 2 echo ::: a b c d
  printf 'a\\nb\\n' | process-spawner --worker "node worker.js" -j 2
`;

export const PROCESS_SPAWNER: CommandLine = { name: 'process-spawner', usage: USAGE, help: HELP, parse: parseArguments };

if (require.main === module) runCommandLine(PROCESS_SPAWNER);
