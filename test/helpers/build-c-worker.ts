// Compiles the C programs under workers/c with the system compiler, once per test file, into a
// temporary directory that the caller removes. Strict flags, so a warning fails the build.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const cWorkersDirectory = join(__dirname, '..', '..', 'workers', 'c');

export const C_FLAGS = ['-std=c99', '-pedantic', '-O2', '-Wall', '-Wextra', '-Werror'];

export function createBuildDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'process-spawner-c-'));
}

/** Compiles workers/c/<name>.c into <outputDirectory>/<name> and returns the executable's path. */
export function buildCProgram(name: string, outputDirectory: string): string {
  const output = join(outputDirectory, name);
  execFileSync('cc', [...C_FLAGS, '-o', output, join(cWorkersDirectory, `${name}.c`)], { stdio: ['ignore', 'ignore', 'pipe'] });
  return output;
}
