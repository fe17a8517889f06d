// Every ```js example in the README runs, and prints what the ```text block after it shows.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from '../src/index';
import { expectNoLeaks } from './helpers/leaks';
import { finish } from './helpers/collect';

const root = path.join(__dirname, '..');

interface Example {
  code: string;
  expected: string | null;
  line: number;
}

function readmeExamples(): Example[] {
  const text = readFileSync(path.join(root, 'README.md'), 'utf8');
  const fence = /```(\w*)\n([\s\S]*?)```/g;
  const blocks = [...text.matchAll(fence)].map((match) => ({
    language: match[1],
    body: match[2] as string,
    start: match.index ?? 0,
    end: (match.index ?? 0) + match[0].length,
  }));
  const examples: Example[] = [];
  blocks.forEach((block, i) => {
    if (block.language !== 'js') return;
    const next = blocks[i + 1];
    const adjacent = next !== undefined && next.language === 'text' && text.slice(block.end, next.start).trim() === '';
    examples.push({
      code: block.body,
      expected: adjacent ? next.body : null,
      line: text.slice(0, block.start).split('\n').length,
    });
  });
  return examples;
}

describe('README examples', () => {
  const examples = readmeExamples();
  it('has examples to run', () => expect(examples.length).toBeGreaterThanOrEqual(4));

  it.each(examples.map((example) => [example.line, example] as const))('the example at line %i runs as shown', (_line, example) =>
    expectNoLeaks(async () => {
      // Run from the repository, where require('process-spawner') resolves to this package.
      const result = await finish(spawn(process.execPath, ['-e', example.code], { cwd: root }));
      expect(result.stderr).toBe('');
      expect(result.exit.exitCode).toBe(0);
      if (example.expected !== null) expect(result.stdout).toBe(example.expected);
    }),
  );
});
