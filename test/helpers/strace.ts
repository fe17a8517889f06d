// Reads the output of `strace -f -o FILE`: one entry per syscall, signal and exit, with the
// `<unfinished ...>` / `<... resumed>` halves that interleaving threads produce joined back together.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface TraceEntry {
  /** Position in the trace, counted where the call started: the order within one thread. */
  index: number;
  /** The thread id strace printed (the pid, for a single-threaded process). */
  tid: number;
  kind: 'call' | 'signal' | 'exit';
  /** The syscall name; the signal name for 'signal'; 'exited' or 'killed' for 'exit'. */
  name: string;
  /** Everything between the call's parentheses, as strace printed it. */
  args: string;
  /** What follows ` = `: `0`, `-1 ENOENT (No such file or directory)`, `?`; the status for 'exit'. */
  result: string;
  text: string;
}

// `6389  execve("/bin/true", ...) = 0`; strace -f -o puts the tid first on every line.
const LINE = /^(\d+)\s+(.*)$/;
const CALL = /^(\w+)\((.*)\)\s+=\s+(.*)$/s;
const UNFINISHED = ' <unfinished ...>';
const RESUMED = /^<\.\.\. (\w+) resumed>(.*)$/s;

export function parseStrace(text: string): TraceEntry[] {
  const entries: TraceEntry[] = [];
  const pending = new Map<number, { index: number; head: string }>();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const match = LINE.exec(lines[index] ?? '');
    if (match === null) continue;
    const tid = Number(match[1]);
    let body = match[2] ?? '';
    let start = index;
    if (body.startsWith('--- ')) {
      const signal = /^--- (\w+)/.exec(body)?.[1] ?? '?';
      entries.push({ index, tid, kind: 'signal', name: signal, args: body, result: '', text: body });
      continue;
    }
    if (body.startsWith('+++ ')) {
      const exit = /^\+\+\+ (exited with|killed by) (.*?) \+\+\+$/.exec(body);
      const name = exit?.[1] === 'exited with' ? 'exited' : 'killed';
      entries.push({ index, tid, kind: 'exit', name, args: '', result: exit?.[2] ?? '', text: body });
      continue;
    }
    if (body.endsWith(UNFINISHED)) {
      pending.set(tid, { index, head: body.slice(0, -UNFINISHED.length) });
      continue;
    }
    const resumed = RESUMED.exec(body);
    if (resumed !== null) {
      const head = pending.get(tid);
      pending.delete(tid);
      if (head === undefined) continue; // its start came before the trace began
      body = head.head + (resumed[2] ?? '');
      start = head.index;
    }
    const call = CALL.exec(body);
    if (call === null) continue; // not a syscall line (strace's own notes)
    entries.push({
      index: start,
      tid,
      kind: 'call',
      name: call[1] ?? '',
      args: call[2] ?? '',
      result: call[3] ?? '',
      text: body,
    });
  }
  // A call still unfinished at the end (an exit that never returned) is kept, without a result.
  for (const [tid, head] of pending) {
    const name = /^(\w+)\(/.exec(head.head)?.[1] ?? '?';
    entries.push({ index: head.index, tid, kind: 'call', name, args: head.head, result: '', text: head.head });
  }
  return entries.sort((a, b) => a.index - b.index);
}

/** The calls of one thread or process, in the order it made them. */
export function callsOf(entries: readonly TraceEntry[], tid: number): TraceEntry[] {
  return entries.filter((entry) => entry.tid === tid && entry.kind === 'call');
}

/** A fork, as opposed to a thread: clone/clone3 without CLONE_THREAD that notifies with SIGCHLD. */
export function isFork(entry: TraceEntry): boolean {
  return (
    (entry.name === 'clone' || entry.name === 'clone3') &&
    entry.args.includes('SIGCHLD') &&
    !entry.args.includes('CLONE_THREAD')
  );
}

/** `pipe2([21, 22], O_CLOEXEC)` */
export function pipeFds(entry: TraceEntry): { read: number; write: number; flags: string } {
  const match = /^\[(\d+), (\d+)\], (.*)$/.exec(entry.args);
  if (match === null) throw new Error(`not a pipe2 call: ${entry.text}`);
  return { read: Number(match[1]), write: Number(match[2]), flags: match[3] ?? '' };
}

/** The number a call returned (a pid, an fd, a byte count), or NaN for -1 and `?`. */
export function returned(entry: TraceEntry): number {
  return /^\d+$/.test(entry.result.split(' ')[0] ?? '') ? Number(entry.result.split(' ')[0]) : Number.NaN;
}

/** The first argument, as a number (the fd of read/write/close, the pid of wait4). */
export function firstArgument(entry: TraceEntry): number {
  return Number(/^-?\d+/.exec(entry.args)?.[0] ?? Number.NaN);
}

/** The absolute path of an executable found on PATH, or null. */
export function findExecutable(name: string): string | null {
  const directories = (process.env['PATH'] ?? '').split(':').concat(['/usr/bin', '/bin', '/usr/sbin']);
  for (const directory of directories) {
    if (directory === '') continue;
    const candidate = path.join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
