// --joblog FILE: one line per finished run in GNU parallel's tab-separated format (Seq, Host,
// Starttime, JobRuntime, Send, Receive, Exitval, Signal, Command) and our own columns after it
// (user and system CPU in seconds, max RSS in KiB, from the run's wait4 rusage). MaxRSS includes
// the peak the run inherited at exec: under vfork at least this command's own peak (~50 MB), not
// the run's own (docs/cli.md). --resume and --resume-failed read it back.
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { encodeBytes } from './bytes';
import { InputError } from './inputs';
import { writeAll } from './spool';

const HEADER = ['Seq', 'Host', 'Starttime', 'JobRuntime', 'Send', 'Receive', 'Exitval', 'Signal', 'Command', 'UserCPU', 'SystemCPU', 'MaxRSS'];

export interface JobLogEntry {
  seq: number;
  /** The sshlogin it ran on, `:` for this machine. */
  host: string;
  startedAtMs: number;
  runtimeMs: number;
  sentBytes: number;
  receivedBytes: number;
  exitCode: number;
  signalNumber: number;
  command: string;
  userCpuMs: number | null;
  systemCpuMs: number | null;
  maxRssKiB: number | null;
}

export class JobLog {
  private constructor(private fd: number | null) {}

  /** Truncates the file (or appends to it when resuming) and writes the header to a new one. */
  static open(path: string, append: boolean): JobLog {
    const fresh = !append || !existsSync(path);
    let fd: number;
    try {
      fd = openSync(path, fresh ? 'w' : 'a');
    } catch (error) {
      throw new InputError(`cannot write the joblog ${path}: ${(error as NodeJS.ErrnoException).code}`);
    }
    const log = new JobLog(fd);
    if (fresh) log.writeLine(HEADER);
    return log;
  }

  add(entry: JobLogEntry): void {
    const seconds = (ms: number | null) => (ms === null ? '' : (ms / 1000).toFixed(3));
    this.writeLine([
      String(entry.seq), entry.host, seconds(entry.startedAtMs), seconds(entry.runtimeMs).padStart(10), String(entry.sentBytes), String(entry.receivedBytes),
      String(entry.exitCode), String(entry.signalNumber), entry.command.replaceAll('\n', ' '),
      seconds(entry.userCpuMs), seconds(entry.systemCpuMs), entry.maxRssKiB === null ? '' : String(entry.maxRssKiB),
    ]);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  // Bytes as they came: an argument that is not UTF-8 is written as it is (bytes.ts).
  private writeLine(fields: string[]): void {
    if (this.fd !== null) writeAll(this.fd, encodeBytes(`${fields.join('\t')}\n`));
  }
}

/**
 * The Seq numbers a resumed run skips: every one in the log (--resume), or those that succeeded
 * (--resume-failed, which runs the failed ones again). A missing log skips nothing.
 */
export function seqsToSkip(path: string, mode: 'done' | 'failed'): Set<number> {
  const skip = new Set<number>();
  if (!existsSync(path)) return skip;
  const lines = readFileSync(path, 'utf8').split('\n').slice(1);
  for (const line of lines) {
    const fields = line.split('\t');
    if (fields.length < 8) continue;
    const succeeded = fields[6] === '0' && fields[7] === '0';
    if (mode === 'done' || succeeded) skip.add(Number(fields[0]));
  }
  return skip;
}
