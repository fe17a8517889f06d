// The public surface of process-spawner.
export { spawn } from './spawn';
export { Subprocess, type ExitInfo, type Rusage, type SubprocessStdio } from './subprocess';
export type { SpawnMethod, SpawnOptions, StdioOption, StdioSlot } from './options';
export type { ProcessSettings, RlimitName, RlimitValue } from './process-settings';
export { ProcessSpawnerError, SpawnError, type ChildStep } from './errors';
export type { SignalInput } from './signals';
export * from './protocol';
