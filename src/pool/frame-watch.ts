// A frame a worker has begun must be finished within frameTimeoutMs: after each chunk of its
// output, a frame left incomplete arms an alarm, set again when the incomplete frame is a new one,
// so that it times each frame and not the whole stream.
import type { FrameDecoder } from '../protocol';
import { Alarm, type Deadlines } from './deadlines';

export class FrameWatch {
  private readonly alarm = new Alarm(() => this.expire());
  /** Frames decoded so far, to tell whether the partial frame now buffered is a new one. */
  private framesDecoded = 0;
  private framesWhenSet = 0;

  constructor(
    private readonly decoder: FrameDecoder,
    private readonly deadlines: Deadlines,
    private readonly frameTimeoutMs: number,
    /** A frame stayed incomplete for frameTimeoutMs; `buffered` bytes of it came. */
    private readonly onTimeout: (buffered: number) => void,
  ) {}

  /** A whole frame was decoded (a known type or a skipped one). */
  countFrame(): void {
    this.framesDecoded++;
  }

  /** After each chunk of output; `reading` is false once nothing more is expected. */
  afterChunk(reading: boolean): void {
    if (!reading || this.decoder.bufferedBytes === 0) {
      this.cancel();
      return;
    }
    if (this.deadlines.isScheduled(this.alarm) && this.framesDecoded === this.framesWhenSet) return;
    this.framesWhenSet = this.framesDecoded;
    this.deadlines.schedule(this.alarm, this.frameTimeoutMs);
  }

  cancel(): void {
    this.deadlines.cancel(this.alarm);
  }

  private expire(): void {
    const buffered = this.decoder.bufferedBytes;
    if (buffered > 0) this.onTimeout(buffered);
  }
}
