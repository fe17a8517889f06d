// lines(): stdout line by line; leaving the loop early ends the child, and a failure is thrown
// after the last line.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { SpawnError } from '../../src/index';
import { RunError } from '../../src/run/errors';
import { lines } from '../../src/run/lines';
import { childProcesses, expectNoLeaks } from '../helpers/leaks';

async function collect(iterator: AsyncIterable<string>): Promise<string[]> {
  const collected: string[] = [];
  for await (const line of iterator) collected.push(line);
  return collected;
}

/** The children this process has right now, other than those it had before. */
function newChildren(before: Set<number>): number[] {
  return childProcesses()
    .map((child) => child.pid)
    .filter((pid) => !before.has(pid));
}

function currentChildren(): Set<number> {
  return new Set(childProcesses().map((child) => child.pid));
}

describe('lines: splitting', () => {
  it('yields every line of a long output, in order', () =>
    expectNoLeaks(async () => {
      const iterator = lines('seq', ['1', '200000']);
      expectTypeOf(iterator).toEqualTypeOf<AsyncIterableIterator<string>>();
      const collected = await collect(iterator);
      expect(collected.length).toBe(200_000);
      expect(collected.every((line, i) => line === String(i + 1))).toBe(true);
    }));

  it('yields a last line that has no newline, and empty lines', () =>
    expectNoLeaks(async () => {
      expect(await collect(lines('printf', ['a\\nb\\n\\nlast']))).toEqual(['a', 'b', '', 'last']);
      expect(await collect(lines('printf', ['only']))).toEqual(['only']);
      expect(await collect(lines('true'))).toEqual([]);
    }));

  it("drops the '\\r' of CRLF line ends and keeps a lone '\\r'", () =>
    expectNoLeaks(async () => {
      expect(await collect(lines('printf', ['x\\r\\ny\\rz\\r\\n']))).toEqual(['x', 'y\rz']);
    }));

  it('joins a line and a character whose bytes arrive in separate reads', () =>
    expectNoLeaks(async () => {
      const script = "printf 'one \\342'; sleep 0.1; printf '\\202\\254 two\\nthree\\n'";
      expect(await collect(lines('sh', ['-c', script]))).toEqual(['one € two', 'three']);
    }));

  it('feeds input like run(), and takes the options without the arguments', () =>
    expectNoLeaks(async () => {
      expect(await collect(lines('sort', { input: 'b\nc\na\n' }))).toEqual(['a', 'b', 'c']);
    }));

  it('keeps one long line whole across many reads', () =>
    expectNoLeaks(async () => {
      const [line] = await collect(lines('sh', ['-c', 'head -c 1048576 /dev/zero | tr "\\0" a; echo']));
      expect(line).toBe('a'.repeat(1024 * 1024));
    }));
});

describe('lines: leaving the loop early', () => {
  it('ends an endless producer on break, and has reaped it when the loop is left', () =>
    expectNoLeaks(async () => {
      const before = currentChildren();
      let count = 0;
      for await (const line of lines('yes', ['line'])) {
        expect(line).toBe('line');
        if (++count === 1000) break;
      }
      // No polling: the break waited for the reap.
      expect(newChildren(before)).toEqual([]);
    }));

  it('ends the child when the loop throws, and the error comes through unchanged', () =>
    expectNoLeaks(async () => {
      const before = currentChildren();
      const failure = new Error('stop here');
      const loop = async (): Promise<void> => {
        for await (const line of lines('yes', ['line'])) if (line === 'line') throw failure;
      };
      await expect(loop()).rejects.toBe(failure);
      expect(newChildren(before)).toEqual([]);
    }));

  it('ends the child on a return from inside the loop', () =>
    expectNoLeaks(async () => {
      const before = currentChildren();
      const first = async (): Promise<string | undefined> => {
        for await (const line of lines('seq', ['1', '1000000000'])) return line;
        return undefined;
      };
      expect(await first()).toBe('1');
      expect(newChildren(before)).toEqual([]);
    }));

  it('spawns nothing until the first next()', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lines-lazy-'));
    try {
      await expectNoLeaks(async () => {
        const marker = path.join(dir, 'spawned');
        const iterator = lines('touch', [marker]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(existsSync(marker)).toBe(false);
        expect(await iterator.next()).toEqual({ done: true, value: undefined });
        expect(existsSync(marker)).toBe(true);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lines: failures', () => {
  it('throws a RunError with stderr after yielding every line of a failed child', () =>
    expectNoLeaks(async () => {
      const collected: string[] = [];
      const loop = async (): Promise<void> => {
        for await (const line of lines('sh', ['-c', 'echo a; echo b; echo oops >&2; exit 4'])) collected.push(line);
      };
      const error: unknown = await loop().catch((reason: unknown) => reason);
      expect(collected).toEqual(['a', 'b']);
      expect(error).toBeInstanceOf(RunError);
      expect(error).toMatchObject({ code: 'ERR_EXIT_CODE', exitCode: 4, stdout: '', stderr: 'oops\n' });
      expect((error as RunError).message).toBe(`Command failed with exit code 4: sh -c 'echo a; echo b; echo oops >&2; exit 4'`);
    }));

  it('does not throw for a failed child with reject: false', () =>
    expectNoLeaks(async () => {
      expect(await collect(lines('sh', ['-c', 'echo a; exit 4'], { reject: false }))).toEqual(['a']);
    }));

  it('throws the SpawnError from the first next()', () =>
    expectNoLeaks(async () => {
      const iterator = lines('no-such-program');
      const error: unknown = await iterator.next().catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(SpawnError);
      expect(error).toMatchObject({ code: 'ENOENT', syscall: 'spawn no-such-program', childStep: 'execvp' });
    }));

  it('throws a validation error from the first next(), before spawning', () =>
    expectNoLeaks(async () => {
      const iterator = lines('true', { timeout: -1 });
      await expect(iterator.next()).rejects.toThrow(RangeError);
    }));

  it('ends the child on timeout and throws ERR_TIMEOUT', () =>
    expectNoLeaks(async () => {
      const collected: string[] = [];
      const loop = async (): Promise<void> => {
        for await (const line of lines('sh', ['-c', 'echo first; exec sleep 30'], { timeout: 200 })) collected.push(line);
      };
      const error: unknown = await loop().catch((reason: unknown) => reason);
      expect(error).toMatchObject({ name: 'RunError', code: 'ERR_TIMEOUT', timedOut: true, signal: 'SIGTERM' });
      expect(['first'].slice(0, collected.length)).toEqual(collected);
    }));

  it('ends the child and throws ABORT_ERR when the signal is aborted inside the loop', () =>
    expectNoLeaks(async () => {
      const controller = new AbortController();
      const reason = new Error('enough');
      let count = 0;
      const loop = async (): Promise<void> => {
        for await (const _line of lines('yes', ['line'], { signal: controller.signal })) {
          if (++count === 10) controller.abort(reason);
        }
      };
      const error: unknown = await loop().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'ABORT_ERR', aborted: true, signal: 'SIGTERM', cause: reason });
      // No line is yielded once the abort is seen.
      expect(count).toBe(10);
    }));

  it('ends the child when a line grows past maxBuffer', () =>
    expectNoLeaks(async () => {
      const error: unknown = await collect(lines('cat', ['/dev/zero'], { maxBuffer: 1024 * 1024 })).catch((reason: unknown) => reason);
      expect(error).toMatchObject({ code: 'ERR_MAX_BUFFER', signal: 'SIGTERM' });
      expect((error as RunError).message).toBe('Command was killed with SIGTERM (stdout exceeded maxBuffer of 1048576 bytes): cat /dev/zero');
    }));

  it('bounds stderr by maxBuffer too', () =>
    expectNoLeaks(async () => {
      const error: unknown = await collect(lines('sh', ['-c', 'exec yes err >&2'], { maxBuffer: 8 })).catch((reason: unknown) => reason);
      expect(error).toMatchObject({ code: 'ERR_MAX_BUFFER', stderr: 'err\nerr\n' });
    }));
});
