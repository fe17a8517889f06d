// The conformance harness of process-spawner/child_process: a behaviour runs once against
// node:child_process and once against ours, and what it observes must be deep-equal. A behaviour
// returns only what a program can see (events in order with their arguments, output, error
// fields, the child's fields at 'close'), never timings. Our side must leave no fd and no zombie;
// Node's side no zombie (libuv keeps fds of its own open).
import * as node from 'node:child_process';
import type { ExecException, ExecFileException, ExecFileOptions, ExecOptions, ForkOptions, SpawnOptions } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { expect } from 'vitest';
import * as ours from '../../src/child_process';
import { childProcesses, eventually, expectNoLeaks } from './leaks';

export { node, ours };

/** What a behaviour may use of a child_process module; both modules have it. */
export interface ChildLike extends EventEmitter {
  pid?: number | undefined;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  readonly stdio: readonly (Readable | Writable | null | undefined)[];
  exitCode: number | null;
  signalCode: NodeJS.Signals | null;
  killed: boolean;
  connected: boolean;
  spawnfile: string;
  spawnargs: string[];
  kill(signal?: NodeJS.Signals | number): boolean;
}

export type Callback<E> = (error: E | null, stdout: string | Buffer, stderr: string | Buffer) => void;

export interface ChildProcessModule {
  spawn(command: string, options: SpawnOptions): ChildLike;
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildLike;
  execFile(file: string, args: readonly string[], options: ExecFileOptions, callback: Callback<ExecFileException>): ChildLike;
  exec(command: string, options: ExecOptions, callback: Callback<ExecException>): ChildLike;
  fork(modulePath: string, args: readonly string[], options: ForkOptions): ChildLike;
}

export interface Behaviour {
  name: string;
  run(cp: ChildProcessModule): Promise<unknown>;
}

// Both promisified functions resolve to { stdout, stderr }; util.promisify's types cannot say so.
export type Promisified = (...args: unknown[]) => Promise<{ stdout: string | Buffer; stderr: string | Buffer }> & { child: ChildLike };

// ---------------------------------------------------------------------------------------------
// Observing

/** An error as a program sees it: class, name, message and own enumerable fields, not the stack. */
export function describeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  // childStep is ours alone: the step in the child that failed, which Node cannot know.
  const { childStep: _ours, ...fields } = { ...error } as Record<string, unknown>;
  return { class: error.constructor.name, name: error.name, message: error.message, ...fields };
}

export function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return describeError(error);
  }
  return 'did not throw';
}

export async function text(stream: Readable | null): Promise<string | null> {
  if (stream === null) return null;
  let result = '';
  for await (const chunk of stream) result += String(chunk);
  return result;
}

/** The child's fields once it has closed: what is left to see. */
export function fieldsAtClose(child: ChildLike): unknown {
  return {
    pid: typeof child.pid,
    exitCode: child.exitCode,
    signalCode: child.signalCode,
    killed: child.killed,
    connected: child.connected,
    spawnfile: child.spawnfile,
    spawnargs: child.spawnargs,
    stdio: child.stdio.map((stream) => (stream == null ? stream : stream.destroyed ? 'destroyed' : 'open')),
    sameStreams: child.stdin === child.stdio[0] && child.stdout === child.stdio[1] && child.stderr === child.stdio[2],
  };
}

export interface Observed {
  events: unknown[];
  stdout: string | null;
  stderr: string | null;
  atClose: unknown;
}

/** Events in order with their arguments, both outputs in full, and the fields at 'close'. */
export async function observe(child: ChildLike, onSpawn?: () => void): Promise<Observed> {
  const events: unknown[] = [];
  child.on('spawn', () => {
    events.push(['spawn']);
    onSpawn?.();
  });
  for (const name of ['exit', 'error']) child.on(name, (...args: unknown[]) => events.push([name, ...args.map(describeError)]));
  const closed = new Promise<unknown>((resolve) =>
    child.on('close', (...args: unknown[]) => {
      events.push(['close', ...args]);
      resolve(fieldsAtClose(child));
    }),
  );
  const [stdout, stderr] = await Promise.all([text(child.stdout), text(child.stderr)]);
  return { events, stdout, stderr, atClose: await closed };
}

/** execFile's and exec's callback arguments; `buffers` shows Buffers as hex. */
export function callbackResult(start: (callback: Callback<Error>) => ChildLike): Promise<unknown> {
  return new Promise((resolve) => {
    const child = start((error, stdout, stderr) => {
      const show = (output: string | Buffer): unknown => (Buffer.isBuffer(output) ? { buffer: output.toString('hex') } : output);
      resolve({ error: describeError(error), stdout: show(stdout), stderr: show(stderr), pid: typeof child.pid });
    });
  });
}

/** Node's side: no zombie and no running child may be left behind. */
export async function expectNoChildrenLeft<T>(body: () => Promise<T>): Promise<T> {
  const before = new Set(childProcesses().map((child) => child.pid));
  const result = await body();
  await eventually(() => expect(childProcesses().filter((child) => !before.has(child.pid))).toEqual([]));
  return result;
}

/** Runs a behaviour against both modules and compares what each observed. */
export async function conforms(behaviour: Behaviour): Promise<void> {
  const expected = await expectNoChildrenLeft(() => behaviour.run(node));
  const actual = await expectNoLeaks(() => behaviour.run(ours as unknown as ChildProcessModule));
  expect(actual).toEqual(expected);
}
