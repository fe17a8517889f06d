// fork() from a `node -e` (--eval, -p, --print) script: Node drops that pair from the inherited
// execArgv "to avoid fork bombing ourselves"; an explicit execArgv is passed as given. Each case
// runs a node -e parent that forks through node:child_process, then through ours, and must print
// the same. The script carries a depth guard: if the pair were passed on, the child would run the
// script again, and it stops at depth 2 instead of forking without end.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leaks';

const ours = path.join(__dirname, '..', '..', 'dist', 'child_process', 'index.js');
const moduleFile = path.join(__dirname, '..', 'fixtures', 'eval-fork-module.js');

// EVAL_FORK_DEPTH counts how deep the eval script itself runs; past 1 it has been run again.
function script(execArgv: string | null): string {
  return `
const depth = Number(process.env.EVAL_FORK_DEPTH || 0);
if (depth >= 2) { console.log('the eval script ran again at depth ' + depth); process.exit(0); }
const { fork } = require(process.env.CP_MODULE);
const options = { env: { ...process.env, EVAL_FORK_DEPTH: String(depth + 1) } };
${execArgv === null ? '' : `options.execArgv = ${execArgv};`}
const child = fork(${JSON.stringify(moduleFile)}, [], options);
child.on('exit', (code) => console.log('exit ' + code + ' at depth ' + depth));
'the value -p prints';
`;
}

function runParent(flag: string, code: string, moduleName: string): string {
  const result = spawnSync(process.execPath, [flag, code], {
    env: { ...process.env, CP_MODULE: moduleName, EVAL_FORK_DEPTH: '0' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return `${result.stdout}${result.stderr}`;
}

const cases: [string, string, string | null][] = [
  ['-e, inherited execArgv', '-e', null],
  ['--eval, inherited execArgv', '--eval', null],
  ['-p, inherited execArgv', '-p', null],
  ['--print, inherited execArgv', '--print', null],
  ['-e, process.execArgv given explicitly (the same array: dropped too)', '-e', 'process.execArgv'],
  ['-e, an explicit execArgv with an -e of its own (passed as given)', '-e', `['-e', 'console.log("explicit eval")']`],
  ['-e, an explicit empty execArgv', '-e', '[]'],
];

describe('fork() from a node -e script', () => {
  it.each(cases)('%s: the same as node:child_process, and never recursive', async (_name, flag, execArgv) => {
    const code = script(execArgv);
    const expected = runParent(flag, code, 'node:child_process');
    const actual = await expectNoLeaks(() => runParent(flag, code, ours));
    expect(actual).toEqual(expected);
    expect(actual).not.toMatch(/ran again/);
    expect(actual).toMatch(/exit 0 at depth 0/);
  });
});
