// Every exercise in docs/exercises.md runs: its ```sh block is run with bash from the repository
// root, and each line of the ```expect block after it is a regular expression that must match a
// line of the output, in order.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leaks';
import { runToCompletion, describeRun } from '../helpers/run';
import { findExecutable } from '../helpers/strace';

const ROOT = path.join(__dirname, '..', '..');
const STRACE = findExecutable('strace');

interface Exercise {
  title: string;
  command: string;
  expected: RegExp[];
}

function exercises(): Exercise[] {
  const text = readFileSync(path.join(ROOT, 'docs', 'exercises.md'), 'utf8');
  const found: Exercise[] = [];
  for (const section of text.split(/^## /m).slice(1)) {
    const title = section.split('\n')[0] ?? '';
    const command = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    const expected = /```expect\n([\s\S]*?)```/.exec(section)?.[1];
    if (command === undefined || expected === undefined) throw new Error(`exercise "${title}" lacks a sh or expect block`);
    found.push({ title, command, expected: expected.trim().split('\n').map((line) => new RegExp(line)) });
  }
  return found;
}

/** Each pattern matches a line after the line the previous one matched. */
function expectInOrder(output: string, patterns: RegExp[]): void {
  const lines = output.split('\n');
  let from = 0;
  for (const pattern of patterns) {
    const at = lines.findIndex((line, index) => index >= from && pattern.test(line));
    expect(at, `${pattern} in order in:\n${output}`).toBeGreaterThanOrEqual(0);
    from = at + 1;
  }
}

describe('docs/exercises.md', () => {
  const all = exercises();
  it('has the eight exercises', () => expect(all).toHaveLength(8));

  it.skipIf(STRACE === null).each(all.map((exercise) => [exercise.title, exercise] as const))('%s', (_title, exercise) =>
    expectNoLeaks(async () => {
      const result = await runToCompletion('bash', ['-c', `set -e\n${exercise.command}`], { cwd: ROOT });
      expect(result.exit.exitCode, describeRun(result)).toBe(0);
      expectInOrder(result.stdout, exercise.expected);
    }),
  );
});
