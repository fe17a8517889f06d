// execFile() and exec() as node:child_process has them: buffer stdout and stderr, call back with
// (error, stdout, stderr), and give util.promisify a version resolving to { stdout, stderr }.
// Follows Node 20's execFile, exithandler included, so the error fields come out the same.
import type {
  ExecException,
  ExecFileException,
  ExecFileOptions,
  ExecOptions,
  SpawnOptions as NodeSpawnOptions,
} from 'node:child_process';
import { getSystemErrorName, promisify } from 'node:util';
import type { ChildProcess } from './child-process';
import { invalidArgType, maxBufferExceeded } from './errors';
import { DEFAULT_SHELL, sanitizeKillSignal, validateMaxBuffer, validateString, validateTimeout } from './normalize';
import { ownProperties } from '../core/validate';
import { spawn } from './spawn';

export type { ExecFileOptions, ExecOptions } from 'node:child_process';

export type Output = string | Buffer;

/**
 * The error execFile calls back with: a spawn error (code 'ENOENT'), maxBuffer, an AbortError, or
 * a failed command (code = the exit code, plus killed, signal and cmd). Node's own type, so that
 * callbacks written for node:child_process fit; like Node, `signal` is null when no signal ended it.
 */
export type ExecFileError = ExecFileException;
export type ExecFileCallback = (error: ExecFileError | null, stdout: Output, stderr: Output) => void;
export type ExecCallback = (error: ExecException | null, stdout: Output, stderr: Output) => void;

type Options = ExecFileOptions | null | undefined;

const MAX_BUFFER = 1024 * 1024;

export function execFile(file: string, callback?: ExecFileCallback): ChildProcess;
export function execFile(file: string, args: readonly string[] | null | undefined, callback?: ExecFileCallback): ChildProcess;
export function execFile(file: string, options: Options, callback?: ExecFileCallback): ChildProcess;
export function execFile(
  file: string,
  args: readonly string[] | null | undefined,
  options: Options,
  callback?: ExecFileCallback,
): ChildProcess;
export function execFile(file: string, ...rest: unknown[]): ChildProcess {
  const { args, options, callback } = normalizeExecFileArgs(rest[0], rest[1], rest[2]);
  // Own properties only, on an object without a prototype: an inherited option is none.
  const settings = ownProperties({ encoding: 'utf8', timeout: 0, maxBuffer: MAX_BUFFER, killSignal: 'SIGTERM', ...options } as ExecFileOptions);
  // Checked though execFile does not pass it on, as Node does.
  const { argv0 } = settings as { argv0?: unknown };
  if (argv0 != null) validateString(argv0, 'options.argv0');
  validateTimeout(settings.timeout);
  const maxBuffer = validateMaxBuffer(settings.maxBuffer);
  const killSignal = settings.killSignal == null ? undefined : sanitizeKillSignal(settings.killSignal);
  const child = spawn(file, args, spawnOptions(settings));
  const encoding = decodesTo(settings.encoding);
  const collected = { stdout: [] as Output[], stderr: [] as Output[] };
  let killed = false;
  let exited = false;
  let error: ExecFileError | null = null;

  const timer = (settings.timeout ?? 0) > 0 ? setTimeout(kill, settings.timeout) : null;

  function exithandler(code?: number | null, signal?: NodeJS.Signals | null): void {
    if (exited) return;
    exited = true;
    if (timer !== null) clearTimeout(timer);
    if (callback === undefined) return;
    const stdout = joined(collected.stdout, encoding !== null || Boolean(child.stdout?.readableEncoding));
    const stderr = joined(collected.stderr, encoding !== null || Boolean(child.stderr?.readableEncoding));
    if (error === null && code === 0 && signal === null) {
      callback(null, stdout, stderr);
      return;
    }
    const cmd = args.length > 0 ? `${file} ${args.join(' ')}` : file;
    const failure: ExecFileError =
      error ??
      (Object.assign(new Error(`Command failed: ${cmd}\n${stderr.toString()}`), {
        code: typeof code === 'number' && code < 0 ? getSystemErrorName(code) : code,
        killed: child.killed || killed,
        signal,
      }) as ExecFileError);
    failure.cmd = cmd;
    callback(failure, stdout, stderr);
  }

  function errorhandler(cause: Error): void {
    error = cause;
    child.stdout?.destroy();
    child.stderr?.destroy();
    exithandler();
  }

  function kill(): void {
    child.stdout?.destroy();
    child.stderr?.destroy();
    killed = true;
    try {
      child.kill(killSignal);
    } catch (cause) {
      error = cause as Error;
      exithandler();
    }
  }

  // Past maxBuffer, what fits is kept, the rest dropped, and the child killed. As in Node, the
  // length of a decoded chunk counts its bytes, and the cut of a stdout string is at that index.
  function collect(name: 'stdout' | 'stderr'): void {
    const stream = child[name];
    if (stream == null) return;
    if (encoding !== null) stream.setEncoding(encoding);
    let length = 0;
    stream.on('data', (chunk: Output) => {
      const chunks = collected[name];
      if (maxBuffer === Infinity) {
        chunks.push(chunk);
        return;
      }
      const chunkEncoding = stream.readableEncoding;
      const chunkLength =
        typeof chunk === 'string' && chunkEncoding !== null ? Buffer.byteLength(chunk, chunkEncoding) : chunk.length;
      length += chunkLength;
      if (length <= maxBuffer) {
        chunks.push(chunk);
        return;
      }
      chunks.push(chunk.slice(0, maxBuffer - (length - chunkLength)));
      error = maxBufferExceeded(name);
      kill();
    });
  }

  collect('stdout');
  collect('stderr');
  child.addListener('close', exithandler);
  child.addListener('error', errorhandler);
  return child;
}

export function exec(command: string, callback?: ExecCallback): ChildProcess;
export function exec(command: string, options: ExecOptions | null | undefined, callback?: ExecCallback): ChildProcess;
export function exec(
  command: string,
  optionsOrCallback?: ExecOptions | ExecCallback | null,
  callback?: ExecCallback,
): ChildProcess {
  validateString(command, 'command');
  const [given, done] =
    typeof optionsOrCallback === 'function' ? [undefined, optionsOrCallback] : [optionsOrCallback, callback];
  // A copy of the own properties: the caller's object is not touched, an inherited option is none.
  const options = ownProperties({ ...given });
  // Any shell but a path given is /bin/sh.
  const shell = typeof options.shell === 'string' ? options.shell : DEFAULT_SHELL;
  const settings: ExecFileOptions = { ...options, shell };
  // Node's types say an exec error's code is a number; a spawn error's is a string there too.
  return execFile(command, settings, done as ExecFileCallback | undefined);
}

/** util.promisify(execFile) and util.promisify(exec): `{ stdout, stderr }`, and `.child`. */
export type PromiseWithChild<T> = Promise<T> & { child: ChildProcess };

function promisified(original: (...args: unknown[]) => ChildProcess) {
  return (...args: unknown[]): PromiseWithChild<{ stdout: Output; stderr: Output }> => {
    let settle!: ExecFileCallback;
    const promise = new Promise<{ stdout: Output; stderr: Output }>((resolve, reject) => {
      settle = (error, stdout, stderr) => {
        if (error === null) return resolve({ stdout, stderr });
        reject(Object.assign(error, { stdout, stderr }));
      };
    });
    // Outside the executor, as in Node: a bad argument throws rather than rejects.
    return Object.assign(promise, { child: original(...args, settle) });
  };
}

Object.defineProperty(execFile, promisify.custom, { enumerable: false, value: promisified(execFile as never) });
Object.defineProperty(exec, promisify.custom, { enumerable: false, value: promisified(exec as never) });

// Node's normalizeExecFileArgs: (args?, options?, callback?) in any of their shortened forms.
export function normalizeExecFileArgs(
  argsIn: unknown,
  optionsIn: unknown,
  callbackIn: unknown,
): { args: string[]; options: ExecFileOptions; callback: ExecFileCallback | undefined } {
  let args: unknown = argsIn;
  let options: unknown = optionsIn;
  let callback: unknown = callbackIn;
  if (Array.isArray(args)) {
    args = [...(args as unknown[])];
  } else if (args != null && typeof args === 'object') {
    [callback, options, args] = [options, args, null];
  } else if (typeof args === 'function') {
    [callback, options, args] = [args, null, null];
  }
  if (typeof options === 'function') {
    callback = options;
    options = null;
  } else if (options != null && (typeof options !== 'object' || Array.isArray(options))) {
    throw invalidArgType('options', 'of type object', options);
  }
  if (callback != null && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
  return {
    args: (args ?? []) as string[],
    options: (options ?? {}) as ExecFileOptions,
    callback: (callback ?? undefined) as ExecFileCallback | undefined,
  };
}

// What execFile hands to spawn: only these options, each present (undefined when not given), as in
// Node, where a wrapper of ChildProcess.prototype.spawn sees them; stdio is always pipes.
function spawnOptions(settings: ExecFileOptions): NodeSpawnOptions {
  return {
    cwd: settings.cwd,
    env: settings.env,
    gid: settings.gid,
    shell: settings.shell,
    signal: settings.signal,
    uid: settings.uid,
    windowsHide: !!settings.windowsHide,
    windowsVerbatimArguments: !!(settings as { windowsVerbatimArguments?: unknown }).windowsVerbatimArguments,
  } as NodeSpawnOptions;
}

/** 'buffer', null or an unknown name gives Buffers, as in Node. */
function decodesTo(encoding: unknown): BufferEncoding | null {
  return typeof encoding === 'string' && encoding !== 'buffer' && Buffer.isEncoding(encoding) ? encoding : null;
}

function joined(chunks: Output[], asString: boolean): Output {
  return asString ? chunks.join('') : Buffer.concat(chunks as Buffer[]);
}
