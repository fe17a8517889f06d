// Every ```sh example in docs/cli.md and in the README's section on the command runs, and prints what the ```text block after it shows.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { finish } from '../helpers/collect';
import { CLI } from '../helpers/cli';
import { expectNoLeaks } from '../helpers/leaks';
import { PARALLEL_CLI } from './commands';

const root = path.join(__dirname, '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
// docs/cli.md, and the README's section on the command.
const text = readFileSync(path.join(root, 'docs', 'cli.md'), 'utf8') + readme.slice(readme.indexOf('## The command'), readme.indexOf('\n## ', readme.indexOf('## The command') + 1));
const examples = [...text.matchAll(/```sh\n([\s\S]*?)```\n```text\n([\s\S]*?)```/g)].map((match) => [match[1] as string, match[2] as string] as const);

// `process-spawner` and `process-spawner-parallel` on PATH, as an installed package gives them.
let bin: string;
beforeAll(() => {
  bin = mkdtempSync(path.join(tmpdir(), 'cli-docs-'));
  for (const [name, script] of [['process-spawner', CLI], ['process-spawner-parallel', PARALLEL_CLI]] as const) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

describe('docs/cli.md examples', () => {
  it('has examples', () => expect(examples.length).toBeGreaterThanOrEqual(4));
  it.each(examples)('%s', (command, expected) =>
    expectNoLeaks(async () => {
      const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
      const result = await finish(spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], env }));
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(expected);
    }),
  );
});
