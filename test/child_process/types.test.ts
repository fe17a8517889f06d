// The drop-in's types are Node's: a program written for node:child_process (test/types/consumer.ts)
// type-checks against ours under strict settings and `module: nodenext`, every type name
// @types/node's child_process exports is exported by ours too (test/types/every-name.ts), and
// the README's ES module example of run() compiles as a strict .mts.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');

async function typeCheck(project: string): Promise<string> {
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', project, '--pretty', 'false'], { cwd: root }).catch(
    (error: { stdout: string; code: number }) => error,
  );
  return result.stdout;
}

it('a consumer written for node:child_process, and one importing every type name, type-check against the drop-in (tsc --noEmit, strict, nodenext)', async () => {
  expect(await typeCheck(path.join(root, 'test/types'))).toBe('');
}, 120_000);

it("test/types/every-name.ts imports every type name of @types/node's child_process", () => {
  const declarations = readFileSync(path.join(root, 'node_modules/@types/node/child_process.d.ts'), 'utf8');
  const exported = new Set([...declarations.matchAll(/^\s*(?:export )?(?:interface|type|class) (\w+)/gm)].map((match) => match[1]));
  const consumer = readFileSync(path.join(root, 'test/types/every-name.ts'), 'utf8');
  const imported = new Set([...(consumer.split('} from')[0] ?? '').matchAll(/^ {2}(\w+),$/gm)].map((match) => match[1]));
  expect([...imported].sort()).toEqual([...exported].sort());
  expect(imported.size).toBeGreaterThan(40);
});

it("the README's ES module example of run() compiles as a strict .mts (nodenext, the package's own exports)", async () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const example = [...readme.matchAll(/```mjs\n([\s\S]*?)```/g)].map((match) => match[1] ?? '').find((code) => code.includes('await run('));
  expect(example).toBeDefined();
  // Inside the package, so that 'process-spawner' resolves to itself through its exports.
  const directory = mkdtempSync(path.join(root, 'test', 'types', 'readme-'));
  try {
    writeFileSync(path.join(directory, 'example.mts'), example as string);
    const compilerOptions = { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2022', types: ['node'], noEmit: true, skipLibCheck: true };
    writeFileSync(path.join(directory, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['example.mts'] }));
    expect(await typeCheck(directory)).toBe('');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}, 120_000);
