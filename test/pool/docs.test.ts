// Every ```js example in docs/pool.md runs from the repository's root and prints what the
// ```text block right after it shows. The remote-workers example gets SSH set to a local
// stand-in for ssh (test/fixtures/fake-ssh.sh).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { finish } from '../helpers/collect';
import { expectNoLeaks } from '../helpers/leaks';
import { fixtures } from '../helpers/pool-workers';

const root = join(__dirname, '..', '..');

interface Example {
  line: number;
  code: string;
  expected: string | null;
}

/** Each js block, with the text block that follows it (only blank lines between). */
function examples(markdown: string): Example[] {
  const fence = /```(\w*)\n([\s\S]*?)```\n(?:\s*```text\n([\s\S]*?)```)?/g;
  return [...markdown.matchAll(fence)]
    .filter((match) => match[1] === 'js')
    .map((match) => ({ line: markdown.slice(0, match.index).split('\n').length, code: match[2] as string, expected: match[3] ?? null }));
}

describe('docs/pool.md', () => {
  const all = examples(readFileSync(join(root, 'docs', 'pool.md'), 'utf8'));

  it('has its examples, each with the output it prints', () => {
    expect(all).toHaveLength(3);
    for (const example of all) expect(example.expected, `the example at line ${example.line}`).not.toBeNull();
  });

  it.each(all.map((example) => [example.line, example] as const))('the example at line %i prints what the doc shows', (_line, example) =>
    expectNoLeaks(async () => {
      const env = { ...process.env, SSH: join(fixtures, 'fake-ssh.sh') };
      const result = await finish(spawn(process.execPath, ['-e', example.code], { cwd: root, env }));
      expect(result.stderr).toBe('');
      expect(result.exit.exitCode).toBe(0);
      expect(result.stdout).toBe(example.expected);
    }), 30_000);
});
