// The parallel-compatible command and GNU parallel, run as a user runs them, for side-by-side
// tests; output as bytes where bytes matter.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { spawn, type SpawnOptions, type Subprocess } from '../../src/index';
import { finish, readAll, type Finished } from '../helpers/collect';

export const PARALLEL_CLI = path.join(__dirname, '..', '..', 'dist', 'cli', 'parallel-main.js');

/** GNU parallel's path, or null (with the reason for the skip message) when it is not installed. */
export const gnuParallel: string | null = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v parallel'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
})();
export const NO_PARALLEL = 'GNU parallel is not installed (apt-get install parallel): the side-by-side comparisons are skipped';

export function startParallelCli(args: string[], options: SpawnOptions = {}): Subprocess {
  return spawn(process.execPath, [PARALLEL_CLI, ...args], options);
}

/** Runs `argv` with `input` on stdin (nothing: stdin closed) and waits for its end. */
export function runWith(argv: readonly string[], input?: string | Buffer, options: SpawnOptions = {}): Promise<Finished> {
  const child = spawn(argv[0] as string, argv.slice(1), options);
  // A command that does not read its stdin (`::: a b`) closes it: not our test's failure.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(input);
  return finish(child);
}

/** The same, with stdout as bytes. */
export async function runForBytes(argv: readonly string[], input?: string | Buffer, options: SpawnOptions = {}): Promise<{ stdout: Buffer; status: number | null }> {
  const child = spawn(argv[0] as string, argv.slice(1), { ...options, stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(input);
  const [stdout, info] = await Promise.all([readAll(child.stdout), child.exited]);
  return { stdout, status: info.exitCode };
}

export const ours = (args: string[]): string[] => [process.execPath, PARALLEL_CLI, ...args];
export const theirs = (args: string[]): string[] => [gnuParallel ?? 'parallel', '--will-cite', ...args];
