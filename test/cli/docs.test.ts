// Every ```sh example with an output block in docs/cli.md and in the README (its quick start and
// its section on the command) runs, and prints what the ```text block after it shows.
// test/package runs the README's again, with the real npx, in a project that installed the
// packed package.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { finish } from '../helpers/collect';
import { CLI } from '../helpers/cli';
import { docExamples } from '../helpers/doc-examples';
import { expectNoLeaks } from '../helpers/leaks';
import { PARALLEL_CLI } from './commands';

const root = path.join(__dirname, '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const docs = readFileSync(path.join(root, 'docs', 'cli.md'), 'utf8');
const examples = [...docExamples(docs), ...docExamples(readme)]
  .filter((example) => example.language === 'sh' && example.expected !== null)
  .map((example) => [example.code, example.expected as string] as const);

// `process-spawner` and `process-spawner-parallel` on PATH, as an installed package gives them, and
// `npx process-spawner`, which in a clone runs this checkout's bin. The real npx would link the
// checkout into its cache and run its install and prepare scripts (rebuilding dist/ under the
// other tests) the first time, so a stand-in runs the bins as they do.
let bin: string;
beforeAll(() => {
  bin = mkdtempSync(path.join(tmpdir(), 'cli-docs-'));
  for (const [name, script] of [['process-spawner', CLI], ['process-spawner-parallel', PARALLEL_CLI]] as const) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  const npx = [
    '#!/bin/sh',
    'case "$1" in',
    `  process-spawner) shift; exec "${process.execPath}" "${CLI}" "$@" ;;`,
    `  process-spawner-parallel) shift; exec "${process.execPath}" "${PARALLEL_CLI}" "$@" ;;`,
    '  *) echo "npx stand-in: only npx process-spawner[-parallel]" >&2; exit 127 ;;',
    'esac',
    '',
  ].join('\n');
  writeFileSync(path.join(bin, 'npx'), npx);
  chmodSync(path.join(bin, 'npx'), 0o755);
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

describe('docs/cli.md examples', () => {
  it('has examples', () => expect(examples.length).toBeGreaterThanOrEqual(4));
  it.each(examples)('%s', (command, expected) =>
    expectNoLeaks(async () => {
      const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
      // From the repository's root, where a clone's user runs them.
      const result = await finish(spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: root }));
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(expected);
    }),
  );
});
