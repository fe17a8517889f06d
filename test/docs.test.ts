// Every ```js (CommonJS) and ```mjs (ES module) example in the README and the docs runs, and
// prints what the ```text block right after it shows. To cover another document, add it below.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from '../src/index';
import { expectNoLeaks } from './helpers/leaks';
import { finish } from './helpers/collect';

const root = path.join(__dirname, '..');

const DOCUMENTS = ['README.md', 'docs/api.md', 'docs/how-it-works.md'];

interface Example {
  code: string;
  module: boolean;
  expected: string | null;
  line: number;
}

function examplesIn(document: string): Example[] {
  const text = readFileSync(path.join(root, document), 'utf8');
  const fence = /```(\w*)\n([\s\S]*?)```/g;
  const blocks = [...text.matchAll(fence)].map((match) => ({
    language: match[1],
    body: match[2] as string,
    start: match.index ?? 0,
    end: (match.index ?? 0) + match[0].length,
  }));
  const examples: Example[] = [];
  blocks.forEach((block, i) => {
    if (block.language !== 'js' && block.language !== 'mjs') return;
    const next = blocks[i + 1];
    const adjacent = next !== undefined && next.language === 'text' && text.slice(block.end, next.start).trim() === '';
    examples.push({
      code: block.body,
      module: block.language === 'mjs',
      expected: adjacent ? next.body : null,
      line: text.slice(0, block.start).split('\n').length,
    });
  });
  return examples;
}

describe.each(DOCUMENTS)('the examples in %s', (document) => {
  const examples = examplesIn(document);
  it('has examples to run', () => expect(examples.length).toBeGreaterThan(0));

  it.each(examples.map((example) => [example.line, example] as const))('the example at line %i runs as shown', (_line, example) =>
    expectNoLeaks(async () => {
      // Run from the repository, where require('process-spawner') resolves to this package.
      const args = example.module ? ['--input-type=module', '-e', example.code] : ['-e', example.code];
      const result = await finish(spawn(process.execPath, args, { cwd: root }));
      expect(result.stderr).toBe('');
      expect(result.exit.exitCode).toBe(0);
      if (example.expected !== null) expect(result.stdout).toBe(example.expected);
    }),
  );
});
