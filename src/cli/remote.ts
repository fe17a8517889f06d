// A run on another host, over ssh, the transport GNU parallel uses: no protocol of our own. The
// run is still one local process group (a /bin/sh that calls ssh for each step), so timeouts,
// interrupts and the output modes treat it as any other run:
//   ssh HOST 'mkdir -p DIR && cat > FILE' < FILE         each --transferfile
//   ssh HOST '<the command, in a wrapper>'                the run; its status is the run's
//   ssh HOST 'cat FILE' > FILE                            each --return
//   ssh HOST 'rm -f FILES'                                --cleanup
// A remote command must not outlive its ssh: sshd gives it no terminal, so nothing would stop it
// when we kill ssh. The wrapper starts it in the background and watches its stdin, which is the
// ssh channel (our end is a pipe we keep open and never write): at EOF (ssh is gone, or the run
// ended) it kills the session's process group, which sshd made for the command.
import { availableParallelism } from 'node:os';
import { run } from '../run/run';
import type { Job } from './inputs';
import { LOCAL, type RemoteHost, type RemoteSettings } from './remote-args';
import { expandCommand } from './replace';
import { shellQuote, type CommandTemplate } from './shell';

// Runs the command ($1) with the login shell while a watcher waits for EOF on the channel.
const WRAPPER =
  'exec 3<&0; "${SHELL:-/bin/sh}" -c "$1" </dev/null & p=$!; ' +
  '{ cat <&3 >/dev/null 2>&1; kill -TERM 0; } >/dev/null 2>&1 & w=$!; ' +
  'wait $p; s=$?; kill $w 2>/dev/null; exit $s';

export function isLocal(host: RemoteHost | null | undefined): boolean {
  return host === null || host === undefined || host.login === LOCAL;
}

/** The remote command line for `line` (a shell line), with the run's variables exported. */
function remoteCommand(line: string, env: Readonly<Record<string, string>>): string {
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${shellQuote(value)}`);
  return [...assignments, 'sh', '-c', shellQuote(WRAPPER), 'sh', shellQuote(line)].join(' ');
}

/**
 * The local argv of a remote run: /bin/sh running ssh for the transfers, the command, the returns
 * and the cleanup, exiting with the command's status.
 */
export function remoteArgv(settings: RemoteSettings, host: RemoteHost, line: string, env: Readonly<Record<string, string>>, files: { transfer: string[]; returns: string[] }): string[] {
  const ssh = [...settings.ssh.map(shellQuote), shellQuote(host.login)].join(' ');
  // Every step starts in --workdir (made if need be), or in the login's home.
  const enter = settings.workdir === null ? '' : `mkdir -p -- ${shellQuote(settings.workdir)} && cd -- ${shellQuote(settings.workdir)} && `;
  const remote = (command: string) => `${ssh} ${shellQuote(`${enter}${command}`)}`;
  const steps: string[] = [];
  // Each copy is written to a temp name and renamed over the file: a host that shares the file
  // system with us (ssh to this very machine) must not truncate the file it is reading.
  for (const file of files.transfer) {
    const copy = `mkdir -p -- ${shellQuote(dirname(file))} && cat > ${temp(file)} && mv -f -- ${temp(file)} ${shellQuote(file)}`;
    steps.push(`${remote(copy)} < ${shellQuote(file)} || exit 255`);
  }
  steps.push(`${ssh} ${shellQuote(remoteCommand(`${enter}${line}`, env))}; s=$?`);
  for (const file of files.returns) {
    steps.push(`mkdir -p -- ${shellQuote(dirname(file))} && ${remote(`cat -- ${shellQuote(file)}`)} > ${temp(file)} && mv -f -- ${temp(file)} ${shellQuote(file)}`);
  }
  const cleaned = settings.cleanup ? [...files.transfer, ...files.returns] : [];
  if (cleaned.length > 0) steps.push(remote(`rm -f -- ${cleaned.map(shellQuote).join(' ')}`));
  steps.push('exit $s');
  return ['/bin/sh', '-c', steps.join('\n')];
}

/** The names --transferfile and --return give for one run: replacement strings expanded. */
export function remoteFiles(settings: RemoteSettings, job: Job, slot: number): { transfer: string[]; returns: string[] } {
  const expand = (names: string[]) =>
    names.map((name) => expandCommand({ argv: [name], shell: false }, job, slot, { append: false, context: false }).join(' '));
  return { transfer: expand(settings.transfer), returns: expand(settings.returns) };
}

// A name beside `file` for its copy in progress, unique to the shell writing it ($$).
function temp(file: string): string {
  return `${shellQuote(`${file}.process-spawner-`)}$$`;
}

function dirname(file: string): string {
  const slash = file.lastIndexOf('/');
  return slash < 0 ? '.' : slash === 0 ? '/' : file.slice(0, slash);
}

// How long a host gets to say how many CPUs it has before -j's number is used for it.
const ASK_TIMEOUT_MS = 10_000;

/**
 * As parallel: with no -j, a host named without N/ runs as many at once as it has CPUs (this
 * machine's count for `:`). Each host is asked once, all at the same time; one that cannot say
 * gets this machine's count.
 */
export async function askHostSlots(settings: RemoteSettings): Promise<void> {
  if (!settings.askSlots) return;
  await Promise.all(
    settings.hosts
      .filter((host) => host.slots === null)
      .map(async (host) => {
        host.slots = isLocal(host) ? availableParallelism() : ((await cpusOf(settings, host)) ?? availableParallelism());
      }),
  );
}

async function cpusOf(settings: RemoteSettings, host: RemoteHost): Promise<number | null> {
  const [ssh, ...args] = settings.ssh as [string, ...string[]];
  try {
    const result = await run(ssh, [...args, host.login, 'nproc 2>/dev/null || getconf _NPROCESSORS_ONLN'], { timeout: ASK_TIMEOUT_MS, processGroup: 0 });
    const cpus = Number(result.stdout.trim());
    return Number.isSafeInteger(cpus) && cpus > 0 ? cpus : null;
  } catch {
    return null;
  }
}

/** The shell line a remote host runs for a template's expansion. */
export function remoteLine(template: CommandTemplate, argv: readonly string[]): string {
  return template.shell ? (argv[2] as string) : argv.map(shellQuote).join(' ');
}
