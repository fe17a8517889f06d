// process-spawner/child_process: spawn, exec, execFile and fork with node:child_process's
// signatures, events and errors, made with our own fork and exec. A harness can swap
// `require('node:child_process')` for `require('process-spawner/child_process')`.
//
// Each function is typed as Node's own (@types/node), overloads included, so that code written for
// node:child_process type-checks unchanged: `promisify(execFile)` resolves to { stdout, stderr },
// `spawn('ls').stdout` is not nullable, and the module fits `typeof import('node:child_process')`
// for what it provides.
import type * as node from 'node:child_process';
import { ChildProcess as OurChildProcess } from './child-process';
import { exec as ourExec, execFile as ourExecFile } from './exec-file';
import { fork as ourFork } from './fork';
import { spawn as ourSpawn } from './spawn';

export const spawn = ourSpawn as unknown as typeof node.spawn;
export const exec = ourExec as unknown as typeof node.exec;
export const execFile = ourExecFile as unknown as typeof node.execFile;
export const fork = ourFork as unknown as typeof node.fork;
export const ChildProcess = OurChildProcess as unknown as typeof node.ChildProcess;
export type ChildProcess = node.ChildProcess;
/** One entry of `child.stdio` (kept from the first release of the drop-in). */
export type { StdioStream } from './child-process';

// Every type name @types/node's child_process exports (checked by test/child_process/types.test.ts).
export type {
  ChildProcessByStdio,
  ChildProcessWithoutNullStreams,
  CommonExecOptions,
  CommonOptions,
  CommonSpawnOptions,
  Control,
  ExecException,
  ExecFileException,
  ExecFileOptions,
  ExecFileOptionsWithBufferEncoding,
  ExecFileOptionsWithOtherEncoding,
  ExecFileOptionsWithStringEncoding,
  ExecFileSyncOptions,
  ExecFileSyncOptionsWithBufferEncoding,
  ExecFileSyncOptionsWithStringEncoding,
  ExecOptions,
  ExecOptionsWithBufferEncoding,
  ExecOptionsWithStringEncoding,
  ExecSyncOptions,
  ExecSyncOptionsWithBufferEncoding,
  ExecSyncOptionsWithStringEncoding,
  ForkOptions,
  IOType,
  MessageOptions,
  MessagingOptions,
  ProcessEnvOptions,
  PromiseWithChild,
  SendHandle,
  Serializable,
  SerializationType,
  SpawnOptions,
  SpawnOptionsWithStdioTuple,
  SpawnOptionsWithoutStdio,
  SpawnSyncOptions,
  SpawnSyncOptionsWithBufferEncoding,
  SpawnSyncOptionsWithStringEncoding,
  SpawnSyncReturns,
  StdioNull,
  StdioOptions,
  StdioPipe,
  StdioPipeNamed,
} from 'node:child_process';
export { AbortError, type ErrnoError } from './errors';
export { spawnSync, execFileSync, execSync } from './sync';
