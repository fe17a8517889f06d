// A worker process driven at the frame level, as a parent (the pool) will drive it.
import type { Writable } from 'node:stream';
import { spawn } from '../../src/core/spawn';
import type { ExitInfo, Subprocess } from '../../src/core/subprocess';
import { FrameDecoder, encodeFrame, type Frame } from '../../src/protocol';
import { readAll } from './collect';

export interface WorkerCommand {
  file: string;
  args: string[];
  env?: Record<string, string | undefined>;
}

export interface WorkerOutcome {
  exit: ExitInfo;
  stderr: string;
  /** Frames the worker sent that the test had not read with next(). */
  unreadFrames: Frame[];
  /** The FrameError the worker's output caused, if it was malformed. */
  outputError: Error | undefined;
}

export class WorkerUnderTest {
  readonly child: Subprocess;
  /** Frames of unknown or reserved types the worker sent. */
  readonly unknownFrames: Frame[] = [];
  private readonly stdin: Writable;
  private readonly frames: AsyncIterator<Frame>;
  private readonly decoder: FrameDecoder;
  private readonly stderr: Promise<Buffer>;

  constructor(command: WorkerCommand, cwd?: string) {
    this.child = spawn(command.file, command.args, {
      env: { ...process.env, ...command.env },
      ...(cwd === undefined ? {} : { cwd }),
    });
    this.stdin = this.child.stdin!;
    // Writing to a worker that has already exited fails with EPIPE; tests check the exit instead.
    this.stdin.on('error', () => {});
    const decoder = new FrameDecoder();
    this.decoder = decoder;
    decoder.on('unknownFrame', (frame: Frame) => this.unknownFrames.push(frame));
    // pipe() stops at a decoder error; the rest of the output is drained so the pipe can close.
    decoder.on('error', () => this.child.stdout!.resume());
    this.child.stdout!.pipe(decoder);
    this.frames = decoder[Symbol.asyncIterator]();
    this.stderr = readAll(this.child.stderr);
  }

  send(type: number, sequence: number, payload?: Uint8Array | string): void {
    this.stdin.write(encodeFrame(type, sequence, payload));
  }

  sendRaw(bytes: Uint8Array): void {
    this.stdin.write(bytes);
  }

  /** Closes our end of the worker's stdout, as a parent that stops listening would. */
  closeOutput(): void {
    this.child.stdout!.unpipe(this.decoder);
    this.child.stdout!.destroy();
    this.decoder.end();
  }

  endInput(): void {
    this.stdin.end();
  }

  /** The next frame the worker sends; throws if its stdout ends first. */
  async next(): Promise<Frame> {
    const { value, done } = await this.frames.next();
    if (done === true) throw new Error('The worker closed stdout instead of sending a frame');
    return { type: value.type, sequence: value.sequence, payload: value.payload };
  }

  /** Waits for the worker to exit and its output to end. */
  async finished(): Promise<WorkerOutcome> {
    const unreadFrames: Frame[] = [];
    let outputError: Error | undefined;
    try {
      for (;;) {
        const { value, done } = await this.frames.next();
        if (done === true) break;
        unreadFrames.push(value);
      }
    } catch (error) {
      outputError = error as Error;
    }
    const [exit, stderr] = await Promise.all([this.child.exited, this.stderr]);
    this.stdin.destroy();
    return { exit, stderr: stderr.toString(), unreadFrames, outputError };
  }
}
