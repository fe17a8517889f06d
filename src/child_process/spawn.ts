// spawn() as node:child_process has it, on top of ours: failures Node reports as events become
// events, `timeout` and `signal` kill with `killSignal`.
import { ChildProcess } from './child-process';
import { AbortError } from './errors';
import { normalizeSpawnForChildProcess, type NodeSpawnOptions } from './normalize';

export function spawn(command: string, options?: NodeSpawnOptions): ChildProcess;
export function spawn(command: string, args?: readonly string[], options?: NodeSpawnOptions): ChildProcess;
export function spawn(
  command: string,
  argsOrOptions?: readonly string[] | NodeSpawnOptions,
  options?: NodeSpawnOptions,
): ChildProcess {
  const { call, processOptions } = normalizeSpawnForChildProcess(command, argsOrOptions, options);
  const child = new ChildProcess();
  // Through the method, as Node: wrappers of ChildProcess.prototype.spawn see every spawn.
  child.spawn(processOptions);
  if (call.timeout > 0) killAfterTimeout(child, call.timeout, call.killSignal);
  if (call.signal !== undefined) killOnAbort(child, call.signal, call.killSignal);
  return child;
}

// No escalation, as in Node: a child that survives killSignal keeps running.
function killAfterTimeout(child: ChildProcess, timeout: number, killSignal: number): void {
  const timer = setTimeout(() => {
    try {
      child.kill(killSignal);
    } catch (error) {
      child.emit('error', error);
    }
  }, timeout);
  child.once('exit', () => clearTimeout(timer));
}

function killOnAbort(child: ChildProcess, signal: AbortSignal, killSignal: number): void {
  const onAbort = (): void => {
    try {
      if (child.kill(killSignal)) child.emit('error', new AbortError(undefined, { cause: signal.reason }));
    } catch (error) {
      child.emit('error', error);
    }
  };
  if (signal.aborted) {
    process.nextTick(onAbort);
    return;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  child.once('exit', () => signal.removeEventListener('abort', onAbort));
}
