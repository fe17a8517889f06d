// Runs the process-spawner command as a user does: node dist/cli/index.js (the bin), through our own spawn.
import path from 'node:path';
import { spawn, type SpawnOptions, type Subprocess } from '../../src/index';
import { finish, type Finished } from './collect';

export const CLI = path.join(__dirname, '..', '..', 'dist', 'cli', 'index.js');

export function startCli(args: string[], options: SpawnOptions = {}): Subprocess {
  return spawn(process.execPath, [CLI, ...args], options);
}

export function cli(args: string[], input?: string, options: SpawnOptions = {}): Promise<Finished> {
  const child = startCli(args, options);
  if (input === undefined) child.stdin?.end();
  else child.stdin?.end(input);
  return finish(child);
}

/** Resolves with the text once `stream` has printed something matching `pattern`. */
export function waitForOutput(stream: NodeJS.ReadableStream | null, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    if (stream === null) return reject(new Error('no stream to wait on'));
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        stream.off('data', onData);
        resolve(text);
      }
    };
    stream.on('data', onData);
  });
}

/** The pids in `--verbose` spawn lines. */
export function spawnedPids(stderr: string): number[] {
  return [...stderr.matchAll(/spawned pid (\d+)/g)].map((match) => Number(match[1]));
}
