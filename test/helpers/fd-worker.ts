// The receiving side of fd passing (docs/protocol.md, section 10) in a worker of another language
// (workers/c/fd_worker.c, workers/python/fd_worker.py): its stdin is a 'socket' slot, and sendFds()
// gives it a file's fd with a task; it writes the task's payload there.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { encodeFrame, FrameDecoder, MessageType, type Frame } from '../../src/protocol';
import { sendFds } from '../../src/core/fd-passing';
import { spawn } from '../../src/core/spawn';
import { expectNoLeaks } from './leaks';

export async function expectFdWorkerToWriteThroughTheFd(file: string, args: string[]): Promise<void> {
  const directory = mkdtempSync(path.join(tmpdir(), 'process-spawner-fd-'));
  try {
    await expectNoLeaks(async () => {
      const target = path.join(directory, 'written-by-the-worker.txt');
      const child = spawn(file, args, { stdio: ['socket', 'pipe', 'inherit'] });
      const frames = (child.stdout as NodeJS.ReadableStream).pipe(new FrameDecoder())[Symbol.asyncIterator]();
      const next = async (): Promise<Frame> => (await frames.next()).value as Frame;
      expect((await next()).type).toBe(MessageType.WORKER_READY);

      const fd = openSync(target, 'w');
      try {
        await sendFds(child.stdin as net.Socket, encodeFrame(MessageType.TASK_ASSIGNMENT, 7, 'hello through an fd'), [fd]);
      } finally {
        closeSync(fd);
      }
      const result = await next();
      expect([result.type, result.sequence, Buffer.from(result.payload).toString()]).toEqual([
        MessageType.TASK_RESULT,
        7,
        'wrote 19 bytes to the fd received',
      ]);
      expect(readFileSync(target, 'utf8')).toBe('hello through an fd');

      // The same frame without an fd: the worker says so.
      child.stdin?.write(encodeFrame(MessageType.TASK_ASSIGNMENT, 8, 'no fd'));
      expect(await next()).toMatchObject({ type: MessageType.WORKER_ERROR, sequence: 8 });
      child.stdin?.write(encodeFrame(MessageType.SHUTDOWN_REQUEST, 0));
      expect((await next()).type).toBe(MessageType.SHUTDOWN_ACK);
      expect((await child.exited).exitCode).toBe(0);
      child.stdin?.destroy();
    });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
