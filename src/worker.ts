// The runtime for workers written in Node: `import { serve } from 'process-spawner/worker'`.
// It speaks the framing protocol (docs/protocol.md) on stdin and stdout, one frame at a time.
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import {
  DEFAULT_MAX_FRAME_SIZE,
  FrameDecoder,
  FrameError,
  HANDLER_ERROR_CODE,
  HEADER_SIZE,
  MAX_FRAME_LENGTH,
  MessageType,
  encodeFrame,
  encodeHeader,
  encodeStatusResponse,
  encodeWorkerError,
  isReservedType,
  type Frame,
} from './protocol';
import { assertIntegerInRange, describeValue } from './core/validate';

export type TaskResult = Buffer | Uint8Array | string;

export interface TaskContext {
  /** The sequence number of the TASK_ASSIGNMENT, echoed in the reply. */
  readonly taskId: number;
}

/**
 * Answers one task. The payload may share memory with the chunk it was read from: copy it to
 * keep it past the task. Returning nothing (undefined) answers with an empty result.
 */
export type TaskHandler = (payload: Buffer, context: TaskContext) => TaskResult | void | Promise<TaskResult | void>;

export interface ServeOptions {
  /** The largest frame accepted from the parent, header included; default 64 MiB. */
  maxFrameSize?: number;
}

/** Exit statuses shared by the three runtimes (from sysexits.h). */
export const EXIT_PROTOCOL_ERROR = 65; // EX_DATAERR: the parent sent a malformed frame
export const EXIT_IO_ERROR = 74; // EX_IOERR: the frame channel failed

// Payloads up to this size are copied behind their header into one write; larger ones are
// written after the header without a copy.
const COPY_LIMIT = 64 * 1024;

let serving = false;

/**
 * Serves tasks until SHUTDOWN_REQUEST or the end of stdin, then exits the process: 0 after
 * SHUTDOWN_ACK or at the end of stdin, 65 when the parent sends a malformed frame, 74 when the
 * frame channel fails. From the call on, `process.stdout.write` and `console.log` go to stderr;
 * frames go to the real fd 1.
 */
export function serve(handler: TaskHandler, options: ServeOptions = {}): void {
  if (typeof handler !== 'function') {
    throw new TypeError(`Expected the handler to be a function, got ${describeValue(handler)}`);
  }
  const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  assertIntegerInRange(maxFrameSize, 'the `maxFrameSize` option', HEADER_SIZE, MAX_FRAME_LENGTH);
  if (serving) throw new Error('serve() has already been called: a worker process serves one handler');
  serving = true;
  const worker = new Worker(handler, takeStdoutForFrames());
  worker.run(process.stdin, maxFrameSize);
}

/**
 * Keeps the real stdout stream for frames and points its public `write` (which `console.log`
 * calls too) at stderr. Node cannot dup2, so output written straight to fd 1 with fs.writeSync
 * would still land in the channel; everything that goes through process.stdout is safe.
 */
function takeStdoutForFrames(): FrameChannel {
  const stdout = process.stdout;
  const writeFrameBytes = stdout.write.bind(stdout) as (chunk: Uint8Array, callback: (error?: Error | null) => void) => boolean;
  stdout.write = process.stderr.write.bind(process.stderr) as typeof stdout.write;
  return new FrameChannel(stdout, writeFrameBytes);
}

/** Writes frames to the channel stream, with back-pressure and a way to wait for the last byte. */
class FrameChannel {
  private pendingWrites = 0;
  private flushed: (() => void) | undefined;

  constructor(
    private readonly stream: NodeJS.WritableStream & { writableNeedDrain: boolean },
    private readonly writeBytes: (chunk: Uint8Array, callback: (error?: Error | null) => void) => boolean,
  ) {
    this.onWritten = this.onWritten.bind(this);
    stream.on('error', (error: Error) => exitAfterChannelFailure(error));
  }

  send(type: number, sequence: number, payload: Uint8Array = EMPTY): void {
    if (payload.length <= COPY_LIMIT) {
      this.write(encodeFrame(type, sequence, payload));
    } else {
      this.write(encodeHeader(type, sequence, payload.length));
      this.write(payload);
    }
  }

  /** The stream's buffer is full: read no more tasks until it drains. */
  needsDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  /** Resolves once the stream has room again, so a large result is not followed by more. */
  async drained(): Promise<void> {
    if (this.stream.writableNeedDrain) await once(this.stream, 'drain');
  }

  /** Resolves once every frame sent so far has been handed to the kernel. */
  flush(): Promise<void> {
    if (this.pendingWrites === 0) return Promise.resolve();
    return new Promise((resolve) => (this.flushed = resolve));
  }

  private write(chunk: Uint8Array): void {
    this.pendingWrites++;
    this.writeBytes(chunk, this.onWritten);
  }

  private onWritten(): void {
    this.pendingWrites--;
    if (this.pendingWrites === 0 && this.flushed !== undefined) {
      const flushed = this.flushed;
      this.flushed = undefined;
      flushed();
    }
  }
}

const EMPTY = new Uint8Array(0);

class Worker {
  private tasksCompleted = 0;

  constructor(
    private readonly handler: TaskHandler,
    private readonly channel: FrameChannel,
  ) {}

  /**
   * Frames are handled in the decoder's 'data' events, synchronously when the handler is: no
   * promise turn per task. The decoder is paused only while an async handler or a full channel
   * keeps us waiting, so frames are still handled one at a time, in order.
   */
  run(input: Readable, maxFrameSize: number): void {
    const decoder = new FrameDecoder({ maxFrameSize });
    decoder.on('unknownFrame', (frame: Frame) => reportSkipped(frame));
    input.on('error', (error: Error) => decoder.destroy(error));
    decoder.on('data', (frame: Frame) => {
      const outcome = this.handle(frame);
      if (typeof outcome === 'boolean') {
        this.afterFrame(decoder, outcome);
        return;
      }
      decoder.pause();
      void outcome.then((stop) => this.afterFrame(decoder, stop, true));
    });
    decoder.on('end', () => void this.exit(0));
    decoder.on('error', (error: Error) => void this.exit(error instanceof FrameError ? protocolFailure(error) : channelFailure(error)));
    input.pipe(decoder);
    this.channel.send(MessageType.WORKER_READY, 0);
  }

  // After a frame: stop for good, wait for the channel to drain, or go on (`paused`: after an
  // async task, the decoder is waiting for us to resume it).
  private afterFrame(decoder: FrameDecoder, stop: boolean, paused = false): void {
    if (stop) {
      decoder.pause();
      void this.exit(0);
    } else if (this.channel.needsDrain()) {
      decoder.pause();
      void this.channel.drained().then(() => decoder.resume());
    } else if (paused) {
      decoder.resume();
    }
  }

  /** Handles one frame; true when the worker is to stop (a promise of it for an async handler). */
  private handle(frame: Frame): boolean | Promise<boolean> {
    switch (frame.type) {
      case MessageType.TASK_ASSIGNMENT: {
        const answered = this.answerTask(frame);
        return answered === undefined ? false : answered.then(() => false);
      }
      case MessageType.STATUS_QUERY:
        this.channel.send(MessageType.STATUS_RESPONSE, frame.sequence, encodeStatusResponse(this.tasksCompleted));
        return false;
      case MessageType.SHUTDOWN_REQUEST:
        this.channel.send(MessageType.SHUTDOWN_ACK, 0);
        return true;
      default:
        // A known type that only a worker sends (TASK_RESULT, ...) has no meaning here.
        reportSkipped(frame);
        return false;
    }
  }

  /** Answers a task: at once for a synchronous handler, else returns the promise of the answer. */
  private answerTask(frame: Frame): Promise<void> | undefined {
    let result: ReturnType<TaskHandler>;
    try {
      result = this.handler(frame.payload, { taskId: frame.sequence });
    } catch (error) {
      this.reply(frame, { error });
      return undefined;
    }
    if (!isPromiseLike(result)) {
      this.reply(frame, { result });
      return undefined;
    }
    return Promise.resolve(result).then(
      (value) => this.reply(frame, { result: value }),
      (error: unknown) => this.reply(frame, { error }),
    );
  }

  private reply(frame: Frame, outcome: { result?: unknown; error?: unknown }): void {
    let type: number = MessageType.TASK_RESULT;
    let payload: Uint8Array;
    try {
      if ('error' in outcome) throw outcome.error;
      payload = resultBytes(outcome.result);
    } catch (error) {
      type = MessageType.WORKER_ERROR;
      payload = encodeWorkerError(errorCode(error), errorMessage(error));
    }
    this.tasksCompleted = (this.tasksCompleted + 1) >>> 0;
    this.channel.send(type, frame.sequence, payload);
  }

  private async exit(code: number): Promise<never> {
    await this.channel.flush();
    process.exit(code);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function resultBytes(result: unknown): Uint8Array {
  if (result instanceof Uint8Array) return result;
  if (typeof result === 'string') return Buffer.from(result, 'utf8');
  if (result === undefined) return EMPTY;
  throw new TypeError(`Expected the handler to return a Buffer, a Uint8Array or a string, got ${describeValue(result)}`);
}

/** An error's own integer `code` in u32 range is sent as is; anything else is HANDLER_ERROR_CODE. */
function errorCode(error: unknown): number {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 0xffff_ffff ? code : HANDLER_ERROR_CODE;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}

function reportSkipped(frame: Frame): void {
  const kind = isReservedType(frame.type) ? 'reserved' : 'unexpected';
  log(`skipped a frame of ${kind} type ${frame.type} (sequence ${frame.sequence})`);
}

function protocolFailure(error: FrameError): number {
  log(`protocol error from the parent: ${error.code}: ${error.message}`);
  return EXIT_PROTOCOL_ERROR;
}

function channelFailure(error: unknown): number {
  log(`frame channel failed: ${errorMessage(error)}`);
  return EXIT_IO_ERROR;
}

function exitAfterChannelFailure(error: Error): void {
  process.exit(channelFailure(error));
}

function log(message: string): void {
  process.stderr.write(`process-spawner worker: ${message}\n`);
}
