// One supervised worker process: its frames, its state, and the tasks it is running.
//
//   starting ──WORKER_READY──▶ idle ◀──answers──▶ busy
//      │                        │  ╲              │
//      │              maxTasksPerWorker ╲          │
//      │                        ▼     close()     │
//      │                     retiring ──▶ stopping ◀┘
//      └────────── any state ──kill()──▶ killed ──reaped──▶ exited
//
// The handle speaks the protocol and enforces it; what to do about a task or an exit (settle it,
// retry it, replace the worker) is the owner's decision. Its main timer entry serves the state,
// since each state waits for at most one thing: WORKER_READY, the next ping or its answer, a
// SHUTDOWN_ACK, the process's exit after its stdout ended, or its pipes after it exited. Three
// alarms watch what can overlap with those: the time left before a ready worker counts as
// healthy, a frame that has begun and must finish (frame-watch.ts), and whether a busy worker is
// stopped (stop-watch.ts).
import type { Readable, Writable } from 'node:stream';
import {
  FrameDecoder,
  MessageType,
  decodeStatusResponse,
  decodeWorkerError,
  encodeFrame,
  encodeHeader,
  messageTypeName,
  type Frame,
} from '../protocol';
import type { ExitInfo, Subprocess } from '../core/subprocess';
import { Alarm, type Deadlines, type TimerEntry } from './deadlines';
import { ProtocolError } from './errors';
import type { KillReason, WorkerState } from './events';
import { FrameWatch } from './frame-watch';
import type { PoolConfig } from './options';
import { StopWatch } from './stop-watch';
import type { Task } from './task';

type Waiting = 'ready' | 'ping' | 'pong' | 'ack' | 'exit' | 'pipes' | null;

export interface WorkerOwner {
  readonly config: PoolConfig;
  readonly deadlines: Deadlines;
  onWorkerReady(worker: WorkerHandle): void;
  onTaskAnswered(worker: WorkerHandle, task: Task, frame: Frame): void;
  onWorkerHealthy(worker: WorkerHandle): void;
  onWorkerTimeout(worker: WorkerHandle, kind: 'ready' | 'heartbeat' | 'ack'): void;
  onProtocolViolation(worker: WorkerHandle, error: ProtocolError, tasks: Task[]): void;
  onWorkerExit(worker: WorkerHandle, exit: ExitInfo): void;
  onWorkerClosed(worker: WorkerHandle): void;
  onStderrLine(worker: WorkerHandle, line: string): void;
}

// How long an ending is given to complete: the frames still in the pipe after the exit was
// reaped, the exit after stdout ended, the pipes' EOF after the exit.
const EXIT_GRACE_MS = 200;
// Payloads up to this size are copied behind their header into one write; larger ones are written
// after the header, without a copy.
const COPY_LIMIT = 64 * 1024;
const MAX_SEQUENCE = 0xffff;

function ignore(): void {}

export class WorkerHandle implements TimerEntry {
  state: WorkerState = 'starting';
  readonly pid: number;
  /** Tasks sent and not answered, by sequence number. */
  readonly inFlight = new Map<number, Task>();
  tasksAssigned = 0;
  killReason: KillReason | null = null;
  /** The state it was in when its exit was reported. */
  stateAtExit: WorkerState | null = null;
  acked = false;
  /** It has sent WORKER_READY. */
  wasReady = false;
  /** It has sent WORKER_READY, then answered a task or a ping, or stayed up healthyAfterMs. */
  healthy = false;
  /** Set once reaped. */
  exit: ExitInfo | null = null;
  /** Its exit has been reported to the owner. */
  reported = false;
  /** Its pipes are closed: no fd of this worker is open any more. */
  closed = false;

  deadline = 0;
  heapIndex = -1;

  private readonly stdin: Writable;
  private readonly stdout: Readable;
  private readonly decoder: FrameDecoder;
  private outputDone = false;
  private waiting: Waiting = null;
  private nextSequence = 1;
  private pingSequence = 0;
  private pingOutstanding = false;
  private stderrCarry = '';
  private readonly healthAlarm = new Alarm(() => this.markHealthy());
  private readonly frameWatch: FrameWatch;
  private readonly stopWatch: StopWatch;

  constructor(
    readonly id: number,
    private readonly child: Subprocess,
    private readonly owner: WorkerOwner,
  ) {
    this.pid = child.pid;
    this.stdin = child.stdin as Writable;
    this.stdout = child.stdout as Readable;
    // A write to a worker that died fails with EPIPE; the exit tells the rest.
    this.stdin.on('error', ignore);
    const { config, deadlines } = owner;
    this.decoder = new FrameDecoder({ maxFrameSize: config.maxFrameSize });
    this.frameWatch = new FrameWatch(this.decoder, deadlines, config.frameTimeoutMs, (buffered) =>
      this.violation(`began a frame more than ${config.frameTimeoutMs} ms ago and sent only ${buffered} bytes of it (frameTimeoutMs)`),
    );
    this.stopWatch = new StopWatch({
      pid: this.pid,
      deadlines,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      heartbeatTimeoutMs: config.heartbeatTimeoutMs,
      isWorking: () => this.isWorking(),
      onHung: () => {
        owner.onWorkerTimeout(this, 'heartbeat');
        this.kill('heartbeat');
      },
    });
    this.decoder.on('data', (frame: Frame) => this.onFrame(frame));
    // Frames of unknown or reserved types are skipped, as docs/protocol.md section 5 says.
    this.decoder.on('unknownFrame', () => this.frameWatch.countFrame());
    this.decoder.on('error', (error: Error) => this.onOutputError(error));
    this.decoder.on('end', () => this.onOutputEnd());
    this.stdout.pipe(this.decoder);
    // Registered after pipe(), so the decoder has taken the chunk in when this runs.
    this.stdout.on('data', () => this.frameWatch.afterChunk(!this.outputDone && this.state !== 'killed' && this.state !== 'exited'));
    if (child.stderr !== null) this.readStderr(child.stderr);
    void child.exited.then((exit) => this.onExited(exit));
    child.once('close', () => this.onClosed());
    this.wait('ready', owner.config.readyTimeoutMs);
  }

  /** Can take another task now. */
  hasCapacity(): boolean {
    return (
      (this.state === 'idle' || this.state === 'busy') &&
      this.inFlight.size < this.owner.config.maxInFlightPerWorker &&
      this.tasksAssigned < this.owner.config.maxTasksPerWorker
    );
  }

  /** Has sent WORKER_READY and is serving. */
  isServing(): boolean {
    return this.state === 'idle' || this.state === 'busy';
  }

  assign(task: Task): void {
    const sequence = this.allocateSequence();
    this.inFlight.set(sequence, task);
    task.worker = this;
    task.sequence = sequence;
    task.state = 'running';
    task.attempts++;
    this.tasksAssigned++;
    if (this.state === 'idle') {
      this.state = 'busy';
      if (this.waiting === 'ping') this.stopWaiting();
      this.stopWatch.start();
    }
    this.send(MessageType.TASK_ASSIGNMENT, sequence, task.payload);
  }

  /** Removes a task the owner has settled on its own (timeout, abort). */
  forget(task: Task): void {
    if (this.inFlight.get(task.sequence) === task) this.inFlight.delete(task.sequence);
  }

  /** Every task still in flight, removed from the worker. */
  takeInFlight(): Task[] {
    const tasks = [...this.inFlight.values()];
    this.inFlight.clear();
    return tasks;
  }

  /** SIGKILL; the exit is reported when the reaper sees it. */
  kill(reason: KillReason): void {
    if (this.state === 'exited') return;
    this.killReason ??= reason;
    if (this.state !== 'killed') {
      this.state = 'killed';
      if (this.waiting !== 'exit' && this.waiting !== 'pipes') this.stopWaiting();
      this.cancelAlarms();
    }
    this.child.kill('SIGKILL');
  }

  /** The shutdown ladder's SIGTERM; the worker keeps its state. */
  terminate(): void {
    this.killReason ??= 'shutdown';
    this.child.kill('SIGTERM');
  }

  /** Retires the worker gracefully once its last task is answered. */
  retire(): void {
    if (!this.isServing()) return;
    this.state = 'retiring';
    this.stopWaiting();
    if (this.inFlight.size === 0) this.sendShutdown(this.owner.config.shutdown.ackTimeoutMs);
  }

  /** The close() ladder's first step: SHUTDOWN_REQUEST; its deadline belongs to the ladder. */
  requestShutdown(): void {
    const { state } = this;
    if (state === 'killed' || state === 'exited' || state === 'stopping') return;
    const alreadyAsked = state === 'retiring' && this.inFlight.size === 0;
    this.state = 'stopping';
    if (this.waiting !== 'exit' && this.waiting !== 'pipes') this.stopWaiting();
    if (!alreadyAsked) this.sendShutdown(null);
  }

  /** Whether the exit was asked for (retirement, shutdown, a kill for another task's sake). */
  exitWasExpected(): boolean {
    const state = this.stateAtExit ?? this.state;
    if (state === 'retiring' || state === 'stopping' || this.acked) return true;
    const reason = this.killReason;
    return reason === 'timeout' || reason === 'abort' || reason === 'ack-timeout' || reason === 'shutdown';
  }

  onDeadline(): void {
    const waiting = this.waiting;
    this.waiting = null;
    switch (waiting) {
      case 'ready':
        this.owner.onWorkerTimeout(this, 'ready');
        this.kill('ready-timeout');
        break;
      case 'ping':
        this.ping();
        break;
      case 'pong':
        this.owner.onWorkerTimeout(this, 'heartbeat');
        this.kill('heartbeat');
        break;
      case 'ack':
        this.owner.onWorkerTimeout(this, 'ack');
        this.kill('ack-timeout');
        break;
      case 'exit':
        // stdout ended and the process lives on: it can no longer answer.
        if (this.exit === null) this.violation('closed its stdout but did not exit');
        break;
      case 'pipes':
        if (this.exit !== null && !this.reported) this.reportExit();
        else this.destroyPipes();
        break;
      default:
        break;
    }
  }

  private onFrame(frame: Frame): void {
    this.frameWatch.countFrame();
    if (this.state === 'killed' || this.state === 'exited') return;
    switch (frame.type) {
      case MessageType.WORKER_READY:
        this.onReady();
        return;
      case MessageType.TASK_RESULT:
      case MessageType.WORKER_ERROR:
        this.onAnswer(frame);
        return;
      case MessageType.STATUS_RESPONSE:
        this.onPong(frame);
        return;
      case MessageType.SHUTDOWN_ACK:
        if (this.state === 'retiring' || this.state === 'stopping') this.acked = true;
        else this.violation('sent SHUTDOWN_ACK unasked');
        return;
      default:
        this.violation(`sent ${messageTypeName(frame.type) ?? `type ${frame.type}`}, which only a parent sends`);
    }
  }

  private onReady(): void {
    if (this.state !== 'starting') {
      if (this.state !== 'stopping') this.violation('sent WORKER_READY twice');
      return;
    }
    this.state = 'idle';
    this.wasReady = true;
    this.stopWaiting();
    this.armHeartbeat();
    this.owner.onWorkerReady(this);
    if (this.isServing()) this.owner.deadlines.schedule(this.healthAlarm, this.owner.config.healthyAfterMs);
  }

  private onAnswer(frame: Frame): void {
    const task = this.inFlight.get(frame.sequence);
    if (task === undefined) {
      // After close() rejected its tasks, a worker may still answer them.
      if (this.state !== 'stopping') this.violation(`answered sequence ${frame.sequence}, which no task has`);
      return;
    }
    if (frame.type === MessageType.WORKER_ERROR) {
      try {
        decodeWorkerError(frame.payload);
      } catch (error) {
        this.violation('sent a malformed WORKER_ERROR', error);
        return;
      }
    }
    this.inFlight.delete(frame.sequence);
    this.markHealthy();
    if (this.state === 'busy' && this.tasksAssigned >= this.owner.config.maxTasksPerWorker) this.retire();
    else if (this.state === 'busy' && this.inFlight.size === 0) {
      this.state = 'idle';
      this.armHeartbeat();
    } else if (this.state === 'retiring' && this.inFlight.size === 0) {
      this.sendShutdown(this.owner.config.shutdown.ackTimeoutMs);
    }
    this.owner.onTaskAnswered(this, task, frame);
  }

  private onPong(frame: Frame): void {
    if (!this.pingOutstanding || frame.sequence !== this.pingSequence) {
      this.violation(`answered ping ${frame.sequence}, which was not sent`);
      return;
    }
    try {
      decodeStatusResponse(frame.payload);
    } catch (error) {
      this.violation('sent a malformed STATUS_RESPONSE', error);
      return;
    }
    this.pingOutstanding = false;
    if (this.waiting === 'pong') this.stopWaiting();
    this.armHeartbeat();
    this.markHealthy();
  }

  /** Once: it has proved it can serve. */
  private markHealthy(): void {
    if (this.healthy || !this.wasReady || this.state === 'killed' || this.state === 'exited') return;
    this.healthy = true;
    this.owner.deadlines.cancel(this.healthAlarm);
    this.owner.onWorkerHealthy(this);
  }

  /** Running a task: what heartbeats do not watch; the stop watch does. */
  private isWorking(): boolean {
    return (this.state === 'busy' || this.state === 'retiring' || this.state === 'stopping') && this.inFlight.size > 0;
  }

  private cancelAlarms(): void {
    this.owner.deadlines.cancel(this.healthAlarm);
    this.frameWatch.cancel();
    this.stopWatch.cancel();
  }

  private ping(): void {
    if (this.state !== 'idle') return;
    this.pingSequence = this.pingSequence === MAX_SEQUENCE ? 1 : this.pingSequence + 1;
    this.pingOutstanding = true;
    this.send(MessageType.STATUS_QUERY, this.pingSequence);
    this.wait('pong', this.owner.config.heartbeatTimeoutMs);
  }

  /** An idle worker is pinged after heartbeatIntervalMs, unless a ping is already out. */
  private armHeartbeat(): void {
    const interval = this.owner.config.heartbeatIntervalMs;
    if (interval > 0 && this.state === 'idle' && !this.pingOutstanding) this.wait('ping', interval);
  }

  private sendShutdown(ackTimeoutMs: number | null): void {
    this.send(MessageType.SHUTDOWN_REQUEST, 0);
    // A worker also exits at the end of its stdin; nothing may be sent after the request anyway.
    this.stdin.end();
    if (ackTimeoutMs !== null) this.wait('ack', ackTimeoutMs);
  }

  /** Kills the worker for breaking the protocol; its tasks go to the owner with the error. */
  private violation(message: string, cause?: unknown): void {
    if (this.state === 'killed' || this.state === 'exited') return;
    const error = new ProtocolError(message, this.id, this.pid, cause);
    const tasks = this.takeInFlight();
    this.kill('protocol');
    this.owner.onProtocolViolation(this, error, tasks);
  }

  private onOutputError(error: Error): void {
    // Nothing can be framed after a decoding error: drain the rest so the pipe can close.
    this.stdout.unpipe(this.decoder);
    this.stdout.resume();
    this.outputDone = true;
    // Output that ends inside a frame is most often a worker killed while writing: its exit,
    // reaped in a moment, decides (a crash, so its tasks follow `retries`), not the cut frame.
    if ((error as { code?: unknown }).code === 'ERR_FRAME_TRUNCATED') this.onOutputEnd();
    else if (this.exit !== null) this.reportExit();
    else this.violation(error.message, error);
  }

  private onOutputEnd(): void {
    this.outputDone = true;
    if (this.exit !== null) {
      if (!this.reported) this.reportExit();
    } else if (this.state === 'starting' || this.isServing()) {
      // Retiring and stopping workers end their output on purpose; their deadlines stand.
      this.wait('exit', EXIT_GRACE_MS);
    }
  }

  private onExited(exit: ExitInfo): void {
    this.exit = exit;
    this.pingOutstanding = false;
    // Answers written just before the exit may still be in the pipe: read them first.
    if (this.outputDone) this.reportExit();
    else this.wait('pipes', EXIT_GRACE_MS);
  }

  private reportExit(): void {
    if (this.reported || this.exit === null) return;
    this.reported = true;
    this.stopWaiting();
    this.cancelAlarms();
    this.stateAtExit = this.state;
    this.state = 'exited';
    this.stdin.destroy();
    if (!this.closed) this.wait('pipes', EXIT_GRACE_MS);
    this.owner.onWorkerExit(this, this.exit);
  }

  /** A grandchild may hold the pipes open: ours are closed regardless. */
  private destroyPipes(): void {
    this.stdout.destroy();
    this.child.stderr?.destroy();
  }

  private onClosed(): void {
    if (!this.reported) this.reportExit();
    this.closed = true;
    this.stopWaiting();
    this.owner.onWorkerClosed(this);
  }

  private readStderr(stderr: Readable): void {
    stderr.setEncoding('utf8');
    stderr.on('data', (text: string) => {
      const lines = (this.stderrCarry + text).split('\n');
      this.stderrCarry = lines.pop() ?? '';
      for (const line of lines) this.owner.onStderrLine(this, line);
    });
    stderr.on('end', () => {
      if (this.stderrCarry !== '') this.owner.onStderrLine(this, this.stderrCarry);
      this.stderrCarry = '';
    });
  }

  private send(type: number, sequence: number, payload?: Uint8Array): void {
    if (this.stdin.writableEnded || this.stdin.destroyed) return;
    if (payload === undefined || payload.length <= COPY_LIMIT) {
      this.stdin.write(encodeFrame(type, sequence, payload));
    } else {
      this.stdin.write(encodeHeader(type, sequence, payload.length));
      this.stdin.write(payload);
    }
  }

  /** u16, never 0, wrapping around and skipping numbers still in flight. */
  private allocateSequence(): number {
    for (;;) {
      const sequence = this.nextSequence;
      this.nextSequence = sequence === MAX_SEQUENCE ? 1 : sequence + 1;
      if (!this.inFlight.has(sequence)) return sequence;
    }
  }

  private wait(what: Exclude<Waiting, null>, delayMs: number): void {
    this.waiting = what;
    this.owner.deadlines.schedule(this, delayMs);
  }

  private stopWaiting(): void {
    this.waiting = null;
    this.owner.deadlines.cancel(this);
  }
}
