#!/usr/bin/env node
// process-spawner-parallel: the GNU-parallel-compatible command. Every option means what it means
// in GNU parallel 20221122, so that `alias parallel=process-spawner-parallel` keeps a parallel
// user's habits; docs/cli.md lists what is not there or differs, and why.
import { runCommandLine, type CommandLine } from './main';
import { parseParallelArguments } from './parallel-args';

const NAME = 'process-spawner-parallel';

const USAGE = `usage: ${NAME} [options] [command [arguments]] (::: arguments|:::: argfile(s))...
       ${NAME} [options] [command [arguments]] < arguments
       ${NAME} [options] < commands
       ${NAME} --pipe [options] command < input
Try '${NAME} --help'.`;

const HELP = `${USAGE.slice(0, USAGE.lastIndexOf('\n'))}

GNU parallel's options, with parallel's meanings; runs spawned with fork/vfork and execve by
process-spawner. Use it as parallel: alias parallel=${NAME}

Input:    ::: args   :::: files   :::+ / ::::+ (linked)   -a, --arg-file FILE   stdin
          -0, --null   -d, --delimiter C   -C, --colsep REGEXP   -r, --no-run-if-empty
          --link, --xapply
Commands: {} {.} {/} {//} {/.} {#} {%} {n} {n.} ...   -I STR (instead of {})   -q, --quote
          -n, -N, --max-args, --max-replace-args N   -m, -X, --xargs   no command: each input is one
          The shell: $PARALLEL_SHELL, else the shell that started ${NAME}, else $SHELL
          Each run gets PARALLEL_SEQ and PARALLEL_JOBSLOT.
Jobs:     -j, -P, --jobs, --max-procs N, +N, -N, N%, 0   --delay SECS   --timeout SECS|N%
          --retries N   --halt, --halt-on-error now|soon,fail|success|done=N|N% (or 0 1 2 -1 -2)
Output:   --group (default)   --line-buffer, --lb   -u, --ungroup   -k, --keep-order   --tag
          --results, --res DIR   --joblog FILE   --resume   --resume-failed   -v, --verbose   -t
          --dry-run
          --bar   --eta   --progress   --tmpdir DIR
Pipe:     --pipe, --spreadstdin   --pipepart -a FILE   --block, --block-size SIZE   --recend STR
          --recstart STR
          -N records per block
Remote:   -S, --sshlogin [N/]login,...   --slf, --sshloginfile FILE   --ssh CMD ($PARALLEL_SSH)
          --transferfile, --tf FILE   --return FILE   --cleanup   --trc FILE   --nonall   --onall
          --workdir, --wd DIR
Ours:     --drain-timeout SECS (after SIGINT/SIGTERM the running runs get SECS to finish; default
          0: stopped at once, as parallel does)   --spawn-method fork|vfork
Ignored:  --will-cite   --no-notice   --plain
Also:     -h, --help   -V, --version
Exit status: 0 all succeeded; 1-100 the number of failed runs; 101 more; --halt's rules; dies of
the signal that stopped it (SIGINT, SIGTERM, SIGHUP; SIGPIPE when its reader is gone); 255 a
usage or internal error. docs/cli.md lists every difference from GNU parallel.
`;

const PARALLEL_COMPATIBLE: CommandLine = { name: NAME, usage: USAGE, help: HELP, parse: parseParallelArguments };

if (require.main === module) runCommandLine(PARALLEL_COMPATIBLE);
