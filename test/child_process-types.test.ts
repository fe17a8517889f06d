// The drop-in's types are Node's: a program written for node:child_process (test/types/consumer.ts)
// type-checks against ours under strict settings and `module: nodenext`.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = path.join(__dirname, '..');

it('a consumer written for node:child_process type-checks against the drop-in (tsc --noEmit, strict, nodenext)', async () => {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', path.join(root, 'test/types'), '--pretty', 'false'], {
    cwd: root,
  }).catch((error: { stdout: string; code: number }) => error);
  expect(result.stdout).toBe('');
}, 120_000);
