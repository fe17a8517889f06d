// Runs a program to completion through the library's own spawn and collects what it printed.
import type { Readable } from 'node:stream';
import { spawn } from '../../src/core/spawn';
import type { SpawnOptions } from '../../src/core/options';
import type { ExitInfo } from '../../src/core/subprocess';

export interface Completed {
  stdout: string;
  stderr: string;
  exit: ExitInfo;
}

export async function runToCompletion(file: string, args: string[], options: SpawnOptions = {}): Promise<Completed> {
  const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  // 'close' comes after the reap and after both pipes reached EOF, so the output is complete.
  await new Promise((resolve) => child.once('close', resolve));
  return { stdout: await stdout, stderr: await stderr, exit: await child.exited };
}

/** For failure messages: the command's exit and whatever it said. */
export function describeRun(run: Completed): string {
  return `exit ${run.exit.exitCode} signal ${run.exit.signal}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

async function collect(stream: Readable | null): Promise<string> {
  if (stream === null) return '';
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) text += String(chunk);
  return text;
}
