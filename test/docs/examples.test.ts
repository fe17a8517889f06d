// Every ```js (CommonJS) and ```mjs (ES module) example in the README and the docs runs, and
// prints what the ```text block right after it shows. To cover another document, add it below.
// test/package runs the README's again, in a project that installed the packed package.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { expectNoLeaks } from '../helpers/leaks';
import { finish } from '../helpers/collect';
import { docExamples, nodeArgs } from '../helpers/doc-examples';

const root = path.join(__dirname, '..', '..');

const DOCUMENTS = ['README.md', 'docs/api.md', 'docs/how-it-works.md'];

describe.each(DOCUMENTS)('the examples in %s', (document) => {
  const examples = docExamples(readFileSync(path.join(root, document), 'utf8')).filter((example) => example.language !== 'sh');
  it('has examples to run', () => expect(examples.length).toBeGreaterThan(0));

  it.each(examples.map((example) => [example.line, example] as const))('the example at line %i runs as shown', (_line, example) =>
    expectNoLeaks(async () => {
      // Run from the repository, where require('process-spawner') resolves to this package.
      const result = await finish(spawn(process.execPath, nodeArgs(example), { cwd: root }));
      expect(result.stderr).toBe('');
      expect(result.exit.exitCode).toBe(0);
      if (example.expected !== null) expect(result.stdout).toBe(example.expected);
    }),
  );
});
