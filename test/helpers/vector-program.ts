// Runs a vector program (workers/c/vectors_test.c, workers/python/vectors_test.py) over every
// shared vector and pairs each answer with the command that produced it.
import { expect } from 'vitest';
import { spawn } from '../../src/core/spawn';
import { finish } from './collect';
import { vectorCommands } from './vectors';

export async function expectVectorProgramToPass(file: string, args: string[]): Promise<void> {
  const commands = vectorCommands();
  const child = spawn(file, args);
  child.stdin!.end(commands.map((entry) => `${entry.command}\n`).join(''));
  const { stdout, stderr, exit } = await finish(child);
  const answers = stdout.split('\n');
  expect(answers.pop()).toBe('');
  expect(answers.map((answer, index) => `${commands[index]?.label ?? '(extra line)'} => ${answer}`)).toEqual(
    commands.map((entry) => `${entry.label} => ${entry.expected}`),
  );
  expect({ exitCode: exit.exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' });
}
