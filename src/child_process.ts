// process-spawner/child_process: spawn, execFile and exec with node:child_process's signatures,
// events and errors, made with our own fork and exec. A harness can swap
// `require('node:child_process')` for `require('process-spawner/child_process')`.
export { spawn } from './child_process/spawn';
export { fork } from './child_process/fork';
export {
  exec,
  execFile,
  type ExecCallback,
  type ExecFileCallback,
  type ExecFileError,
  type Output,
  type PromiseWithChild,
} from './child_process/exec-file';
export { ChildProcess, type StdioStream } from './child_process/child-process';
export { AbortError, type ErrnoError } from './child_process/errors';
