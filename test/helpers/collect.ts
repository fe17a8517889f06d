// Reading a child's output in tests.
import type { Readable } from 'node:stream';
import type { Subprocess, ExitInfo } from '../../src/index';

/** Everything the stream delivers until its end; empty for a slot that is not a pipe. */
export async function readAll(stream: Readable | null): Promise<Buffer> {
  if (stream === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface Finished {
  stdout: string;
  stderr: string;
  exit: ExitInfo;
  close: [number | null, NodeJS.Signals | null];
}

/** Waits for the child's 'close', with both outputs read in full. */
export async function finish(child: Subprocess): Promise<Finished> {
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve([code, signal])),
  );
  const [stdout, stderr] = await Promise.all([readAll(child.stdout), readAll(child.stderr)]);
  return { stdout: stdout.toString(), stderr: stderr.toString(), exit: await child.exited, close: await closed };
}
