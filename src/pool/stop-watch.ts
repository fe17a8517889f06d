// Whether a busy worker is stopped. A worker running a task gets no pings, so its process state
// is read every heartbeatIntervalMs instead: one seen stopped (SIGSTOP, SIGTSTP: state T) for
// heartbeatTimeoutMs is hung.
import { performance } from 'node:perf_hooks';
import { procStatFields } from '../core/proc-stat';
import { Alarm, type Deadlines } from './deadlines';

export interface StopWatchOptions {
  pid: number;
  deadlines: Deadlines;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Running a task: what heartbeats do not watch. */
  isWorking: () => boolean;
  /** Seen stopped for heartbeatTimeoutMs while working. */
  onHung: () => void;
}

/** The state letter of /proc/PID/stat (R, S, D, T, t, Z, ...); '' once the process is gone. */
function processState(pid: number): string {
  return procStatFields(pid)?.[0] ?? '';
}

export class StopWatch {
  private readonly alarm = new Alarm(() => this.check());
  /** When the worker was first seen stopped, on the performance.now() clock. */
  private stoppedSince: number | null = null;

  constructor(private readonly options: StopWatchOptions) {}

  /** Reads the state every heartbeatIntervalMs from now, unless it already does (0 turns it off). */
  start(): void {
    const { deadlines, heartbeatIntervalMs } = this.options;
    if (heartbeatIntervalMs > 0 && !deadlines.isScheduled(this.alarm)) deadlines.schedule(this.alarm, heartbeatIntervalMs);
  }

  cancel(): void {
    this.options.deadlines.cancel(this.alarm);
  }

  private check(): void {
    const { pid, deadlines, heartbeatIntervalMs, heartbeatTimeoutMs } = this.options;
    if (!this.options.isWorking()) {
      this.stoppedSince = null;
      return;
    }
    if (processState(pid) !== 'T') {
      this.stoppedSince = null;
      deadlines.schedule(this.alarm, heartbeatIntervalMs);
      return;
    }
    const now = performance.now();
    this.stoppedSince ??= now;
    const stoppedFor = now - this.stoppedSince;
    if (stoppedFor >= heartbeatTimeoutMs) {
      this.options.onHung();
      return;
    }
    deadlines.schedule(this.alarm, Math.min(heartbeatIntervalMs, heartbeatTimeoutMs - stoppedFor));
  }
}
