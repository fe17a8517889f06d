// execa, nano-spawn and tinyexec, unchanged, on the drop-in: a realistic set of their calls (exit
// codes, stdio modes, input, pipes between children, kill, timeout, cancel, IPC, line iteration)
// runs once on node:child_process and once with child_process pointed at the drop-in by a
// --require preload (test/fixtures/libraries/redirect.cjs: Module._load for CommonJS, and a
// module.register() resolve hook for ES modules, which is how the three import it). Every call
// must give what it gives on Node's module.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leaks';

const root = path.join(__dirname, '..', '..');
const scenarios = path.join(__dirname, '..', 'fixtures', 'libraries', 'scenarios.mjs');
const preload = path.join(__dirname, '..', 'fixtures', 'libraries', 'redirect.cjs');
const dropIn = path.join(root, 'dist', 'child_process', 'index.js');

interface Report {
  served: 'node' | 'drop-in';
  results: Record<string, unknown>;
}

async function runScenarios(nodeArgs: string[]): Promise<Report> {
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArgs, scenarios], {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, PROCESS_SPAWNER_DROPIN: dropIn },
  });
  return JSON.parse(stdout) as Report;
}

it('execa, nano-spawn and tinyexec calls give the same on the drop-in as on node:child_process', async () => {
  const expected = await runScenarios([]);
  const actual = await expectNoLeaks(() => runScenarios(['--require', preload]));
  expect([expected.served, actual.served]).toEqual(['node', 'drop-in']);
  expect(Object.keys(actual.results).length).toBeGreaterThan(25);
  for (const [call, result] of Object.entries(expected.results)) expect({ call, result: actual.results[call] }).toEqual({ call, result });
  // Node's own results are what they should be, so that the comparison means something.
  expect(expected.results['execa: echo hi']).toMatchObject({ ok: { stdout: 'hi', exitCode: 0 } });
  expect(expected.results['tinyexec: iterate stderr and stdout lines (as tinyexec tests itself)']).toEqual({ ok: ['bar', 'foo'] });
}, 120_000);
