// lines(): a child's stdout as an async iterator of lines. Leaving the loop early ends the child
// and waits for its reap, so a `for await` never leaves a process or an fd behind.
import { StringDecoder } from 'node:string_decoder';
import { OutputBuffer, RunSession } from './run-session';
import type { RunOptions } from './run-options';

/** run()'s options; lines are always text, so there is no `encoding`. */
export type LinesOptions = Omit<RunOptions<'utf8'>, 'encoding'>;

/**
 * Spawns on the first `next()` (so an iterator never used starts nothing) and yields each line
 * of stdout without its '\n' (nor a '\r' before it). Errors are thrown from the iteration: the
 * spawn's, and after the last line a RunError when the child failed.
 */
export function lines(file: string, args?: readonly string[], options?: LinesOptions): AsyncIterableIterator<string>;
export function lines(file: string, options?: LinesOptions): AsyncIterableIterator<string>;
export async function* lines(
  file: string,
  argsOrOptions?: readonly string[] | LinesOptions,
  maybeOptions?: LinesOptions,
): AsyncIterableIterator<string> {
  const session = RunSession.start(file, argsOrOptions, maybeOptions);
  const stderr = new OutputBuffer(session, 'stderr');
  let settled = false;
  try {
    for await (const batch of stdoutBatches(session)) {
      for (const line of batch) {
        if (session.termination !== null) break;
        yield line;
      }
    }
    // Reading may have stopped before EOF (maxBuffer, abort): nothing more is wanted from stdout.
    session.child.stdout?.destroy();
    const exit = await session.finished();
    settled = true;
    session.settle(exit, '', stderr.contents('utf8'));
  } finally {
    if (!settled) await leaveEarly(session);
  }
}

/**
 * The lines of stdout, a chunk's worth at a time (one await per chunk, not per line). Ends when
 * stdout does, or early once the child is being ended.
 */
async function* stdoutBatches(session: RunSession): AsyncGenerator<string[], void, undefined> {
  const stdout = session.child.stdout;
  if (stdout === null) return;
  const splitter = new LineSplitter();
  try {
    // Pulled one chunk at a time, so a slow loop holds the child back through the pipe. Not
    // destroyed on return: leaveEarly() signals the child first, so it dies of killSignal, not EPIPE.
    for await (const chunk of stdout.iterator({ destroyOnReturn: false })) {
      yield splitter.push(chunk as Buffer);
      if (session.termination !== null) return;
      if (splitter.pendingLength > session.settings.maxBuffer) {
        session.terminate({ reason: 'maxBuffer', stream: 'stdout' });
        return;
      }
    }
  } catch (error) {
    // Destroyed by us after the child was ended, or a read error to report.
    session.terminate({ reason: 'stream', stream: 'stdout', cause: error });
    return;
  }
  const last = splitter.end();
  if (last !== null) yield [last];
}

// The loop was left by break, return or a throw: end the child and wait for its reap.
async function leaveEarly(session: RunSession): Promise<void> {
  session.terminate({ reason: 'loopLeft' });
  session.child.stdout?.destroy();
  await session.finished();
}

/**
 * Splits text on '\n' as it arrives, scanning each chunk once; only the unfinished last line is
 * carried over, so a long line across many chunks costs no rescans.
 */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** Characters of the line not finished yet. */
  get pendingLength(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): string[] {
    const text = this.decoder.write(chunk);
    const complete: string[] = [];
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      complete.push(withoutCarriageReturn(this.pending + text.slice(start, end)));
      this.pending = '';
      start = end + 1;
    }
    this.pending += text.slice(start);
    return complete;
  }

  /** The last line when the output did not end with '\n', else null. */
  end(): string | null {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest === '' ? null : rest;
  }
}

// CRLF output gives the same lines as LF output; a lone '\r' elsewhere is kept.
function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
