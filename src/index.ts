// The public surface of process-spawner.
export { spawn } from './spawn';
export { Subprocess, type ExitInfo, type Rusage } from './subprocess';
export type { SpawnOptions, StdioOption, StdioSlot } from './options';
export { ProcessSpawnerError, SpawnError, type ChildStep } from './errors';
export type { SignalInput } from './signals';
export * from './protocol';
