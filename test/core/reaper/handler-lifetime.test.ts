// The handler's code must stay mapped for as long as the handler can run: a worker_thread that
// used the library ends (Node unloads what it loaded), then a SIGCHLD arrives.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtAddon } from './pid-reuse';

const script = path.join(__dirname, 'fixtures', 'worker-ends-before-sigchld.js');
const root = path.join(__dirname, '..', '..', '..');

function runScript(addon?: string): { status: number | null; signal: NodeJS.Signals | null; stdout: string } {
  const env = { ...process.env, PROCESS_SPAWNER_ADDON: addon ?? '' };
  const { status, signal, stdout } = spawnSync(process.execPath, [script], { cwd: root, env, encoding: 'utf8' });
  return { status, signal, stdout };
}

describe('a worker_thread that used the library ends before the next SIGCHLD', () => {
  it('the addon is linked never to be unloaded (NODELETE)', () => {
    expect(execFileSync('readelf', ['-d', builtAddon], { encoding: 'utf8' })).toMatch(/FLAGS_1.*NODELETE/);
  });

  it('the process survives it and hears the exit', () => {
    expect(runScript()).toEqual({ status: 0, signal: null, stdout: 'exit 0 after the worker\n' });
  });
});
