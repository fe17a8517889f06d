#!/usr/bin/env node
// The process-spawner command. docs/cli.md is its reference; HELP below is the same, shorter.
import { parseArguments } from './args';
import { runCommandLine, type CommandLine } from './main';

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
A replacement string ({} ...) in the command, :::, -a or any option below makes a pool.
(process-spawner-parallel is the same pool with every option as GNU parallel means it.)
Arguments:
  ::: a b c               the arguments; several ::: combine as a cross product; :::+ pairs
                          a source with the one before it item by item (--link, --xapply: all,
                          the shorter wrapping around)
  :::: FILE, -a FILE      one argument per line of FILE (:::: - is stdin); also --arg-file FILE
  (none)                  one argument per line of stdin
  -n, --tasks M           M runs with the arguments 0..M-1 (not parallel's or xargs' -n: use -N)
  -N, --max-args n        n arguments per run (the last run gets what is left): {} is all of
                          them, {1}..{n} each one; appended when the command has neither;
                          -N 0: a run per argument, none of it in the command
  -0, --null              arguments end with NUL, not newline;  -d, --delimiter C: with C
  -C, --colsep REGEXP     split each argument into columns {1} {2} ... (a regular expression)
Replacement strings in the command ({} is appended when there are none; values are quoted for
the shell): {} the argument, {1} {2} a column, {.} without extension, {/} basename, {//} dirname,
{/.} basename without extension, {#} the run's number (1-based), {%} its slot (1..N).
Each run also gets PARALLEL_SEQ and PROCESS_SPAWNER_SEQ ({#}), PARALLEL_JOBSLOT and
PROCESS_SPAWNER_SLOT ({%}) in its environment. Arguments are bytes: not only UTF-8.
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
                          Exitval Signal Command) plus UserCPU SystemCPU MaxRSS (KiB; at
                          least this command's own peak under vfork: exec keeps it, docs/cli.md)
  --resume                skip the runs already in the joblog; --resume-failed: run the failed
                          ones again, skip those that succeeded
  --halt now,fail=N       stop at N failed runs (kill the running ones); soon,fail=N: start no
                          more, let the running ones end; success=N, done=N (any end); N may be
                          a percentage. Exit status as parallel's: fail=1 the failed run's,
                          success=N 0, fail=N% the percentage that failed
  --retries N             N attempts in all for a failing run, as in parallel (0: until it succeeds)
  --delay T               at least T between two starts
  --timeout T             stop a run (its process group: SIGTERM, SIGKILL 2 s later) after T;
                          T as 500ms, 2s, 1m, or 200% of the median runtime so far
  --dry-run               print the commands, run nothing
  --eta, --bar            the progress line (with an ETA), even when stderr is not a terminal
  --no-progress           no progress line, even on a terminal
  --json                  print a summary on stdout instead of the outputs: per run its status,
                          rusage, stdout and stderr (paths with --results)
  --drain-timeout T       after SIGINT or SIGTERM no queued run is started and the running ones
                          get T to finish (default 5s); then SIGTERM to their groups, SIGKILL 2 s
                          later. A second SIGINT (Ctrl-C again) kills them at once; then we die
                          of the signal. SIGHUP, or our reader gone (EPIPE on stdout or stderr),
                          stops the runs at once.
Blocks of stdin (GNU parallel's --pipe):
  --pipe, --spreadstdin   cut stdin into blocks of whole records, each the stdin of one run
  --pipepart -a FILE      the same, from FILE
  --block, --block-size SIZE   about SIZE bytes per block (1M default; k, M, G); -N n: n records
  --recend STR, --recstart STR   where records end and start (default: a newline ends one)
Remote runs over ssh (GNU parallel's):
  -S, --sshlogin [N/]LOGIN,...   run on these hosts (N at once on each; ':' is this machine)
  --sshloginfile, --slf FILE     the hosts, one a line
  --ssh CMD               the ssh command (default $PARALLEL_SSH, else ssh)
  --transferfile, --tf F  copy F there first; --return F: copy F back after; --cleanup: remove
                          both there; --trc F: all three, {} transferred
  --onall                 every run on every host;  --nonall: the command once on each host
  --workdir, --wd DIR     where runs start and files go on the host (. : our working directory)
  --worker "cmd" -S ...   protocol workers on the hosts, taken in turn

A POOL OF PROTOCOL WORKERS (docs/protocol.md): each line of stdin (or --input FILE) is a task,
results are printed one per line in input order; a failed task prints an empty line and its
error on stderr with the line number.
  --worker "command"      the worker command (FOO=1 node w.js, cd d && node w.js work: the
                          worker's pid is still the program's own)
  -j N, --workers N       workers (default: the CPUs)
  --input FILE            tasks from FILE (the progress line then has a bar)
  --timeout T             a task running longer fails, and its worker is replaced
  -S, --slf, --ssh        run the workers on these hosts over ssh (taken in turn)
  --retries N             send a task again when its worker dies under it
  --max-queue N           tasks read ahead at most (default: 4 per worker); none is read while
                          our stdout is full
  --drain-timeout T       after SIGINT/SIGTERM: no queued task is started, the running ones get
                          T to finish (default 5s), then SHUTDOWN_REQUEST, SIGTERM, SIGKILL;
                          a second SIGINT kills the workers at once; then we die of the signal.
  --json                  a summary: per task its status, result and worker pid

Everywhere:
  --spawn-method M        fork or vfork (clone(CLONE_VM|CLONE_VFORK)); default: the library's
  -v, --verbose           lifecycle lines on stderr: spawns (pid, argv), ends (status, duration,
                          user and system CPU, max RSS), crashes and respawns
  -h, --help, -V, --version
No child outlives the command: it is a child subreaper (prctl), and at the end every process
left that it adopted (setsid, double fork) gets SIGTERM, then SIGKILL 1 s later, and is reaped.

Exit status: one program: its status (127/126 when it cannot be run); when a signal ended it we
die of the same one (SIGINT, SIGTERM, SIGHUP, SIGPIPE; else 128 + n). Pools: 0 all succeeded,
1-100 the number of failed runs, 101 more than 100 failed, --halt's rules above; interrupted by
SIGINT, SIGTERM, SIGHUP, or our reader gone: we die of that signal (SIGPIPE for the reader), as
xargs does, so a shell loop around us stops; 255 a usage or internal error.

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

const PROCESS_SPAWNER: CommandLine = { name: 'process-spawner', usage: USAGE, help: HELP, parse: parseArguments };

if (require.main === module) runCommandLine(PROCESS_SPAWNER);
