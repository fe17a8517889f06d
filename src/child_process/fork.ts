// fork() as node:child_process has it: a Node program started with our spawn(), with an IPC channel
// at an fd of its own (3 unless `stdio` puts 'ipc' elsewhere), and its stdio inherited, or piped
// with `silent`.
import type { ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ownProperties } from '../core/validate';
import type { ChildProcess } from './child-process';
import { invalidArgType, invalidArgValue, ipcRequired } from './errors';
import { validateNoNul, validateString } from './normalize';
import { spawn } from './spawn';

export function fork(modulePath: string | URL, options?: ForkOptions): ChildProcess;
export function fork(modulePath: string | URL, args?: readonly string[], options?: ForkOptions): ChildProcess;
export function fork(modulePath: string | URL, argsOrOptions?: unknown, maybeOptions?: unknown): ChildProcess {
  const module = validateModulePath(modulePath);
  let args: unknown = argsOrOptions;
  let options: unknown = maybeOptions;
  if (args == null) {
    args = [];
  } else if (typeof args === 'object' && !Array.isArray(args)) {
    options = args;
    args = [];
  } else if (!Array.isArray(args)) {
    throw invalidArgType('args', 'an instance of Array', args);
  }
  if (options != null && (typeof options !== 'object' || Array.isArray(options))) {
    throw invalidArgType('options', 'of type object', options);
  }
  // Own properties only, and never a shell, as in Node.
  const settings = ownProperties({ ...(options as ForkOptions | null | undefined), shell: false }) as ForkOptions;
  const execPath = settings.execPath || process.execPath;
  validateNoNul(execPath, 'options.execPath');
  const execArgv = withoutEvalScript(settings.execArgv || process.execArgv);
  execArgv.forEach((arg, index) => validateNoNul(arg, `options.execArgv[${index}]`));
  settings.stdio = forkStdio(settings.stdio, settings.silent === true);
  return spawn(execPath, [...execArgv, module, ...(args as string[])], settings);
}

/**
 * As Node: a `node -e <code>` (or --eval, -p, --print) process passes its own execArgv on without
 * that pair, "to avoid fork bombing ourselves": the child runs the module, not the script again.
 * An execArgv given explicitly is passed as given (unless it is process.execArgv itself).
 */
function withoutEvalScript(execArgv: readonly string[]): readonly string[] {
  const script = (process as { _eval?: string | null })._eval;
  if (execArgv !== process.execArgv || script == null) return execArgv;
  const index = execArgv.lastIndexOf(script);
  if (index <= 0) return execArgv;
  return [...execArgv.slice(0, index - 1), ...execArgv.slice(index + 1)];
}

function validateModulePath(modulePath: unknown): string {
  const path = modulePath instanceof URL ? fileURLToPath(modulePath) : Buffer.isBuffer(modulePath) ? modulePath.toString() : modulePath;
  if (typeof path !== 'string') throw invalidArgType('modulePath', 'of type string or an instance of Buffer or URL', modulePath);
  validateNoNul(path, 'modulePath', 'must be a string, Uint8Array, or URL without null bytes');
  return validateString(path, 'modulePath');
}

type Stdio = ForkOptions['stdio'];

const STDIO_NAMES = new Set(['pipe', 'inherit', 'ignore', 'overlapped']);

// 'pipe', 'inherit' or 'ignore' for all three plus 'ipc' (any other string is Node's
// ERR_INVALID_ARG_VALUE); an array must name 'ipc' itself.
function forkStdio(stdio: Stdio, silent: boolean): Stdio {
  if (typeof stdio === 'string') {
    if (!STDIO_NAMES.has(stdio)) throw invalidArgValue('stdio', stdio);
    return [stdio, stdio, stdio, 'ipc'] as Stdio;
  }
  if (!Array.isArray(stdio)) return silent ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['inherit', 'inherit', 'inherit', 'ipc'];
  if (!stdio.includes('ipc')) throw ipcRequired('options.stdio');
  return stdio;
}
