// The IPC channel under faults, against node:child_process: a malformed frame among good ones (in
// both serializations), a child that exits with sends still queued, fds sent where no handle is
// expected, and a child that dies while handles are being sent to it. The parents that must
// survive an uncaught exception run in processes of their own (test/fixtures/*-parent.js).
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ours } from '../helpers/conformance';
import { expectNoLeaks } from '../helpers/leaks';

const root = path.join(__dirname, '..', '..');
const fixture = (name: string): string => path.join(__dirname, '..', 'fixtures', name);
const oursBuilt = path.join(root, 'dist', 'child_process', 'index.js');
const addon = path.join(root, 'build', 'Release', 'process_spawner.node');

async function runParent(script: string, args: string[]): Promise<unknown> {
  const { stdout } = await promisify(execFile)(process.execPath, [fixture(script), ...args], { cwd: root, timeout: 20_000 });
  return JSON.parse(stdout) as unknown;
}

/** The parent script through node:child_process, then through ours (leaving nothing behind): what each printed. */
async function bothParents(script: string, args: string[]): Promise<{ expected: unknown; actual: unknown }> {
  const expected = await runParent(script, ['node:child_process', ...args]);
  const actual = await expectNoLeaks(() => runParent(script, [oursBuilt, ...args]));
  return { expected, actual };
}

describe('IPC faults, each as node:child_process has it', () => {
  it.each(['json', 'advanced'])(
    "one malformed message among good ones (%s): good, bad, good, good; Node's error for the bad one, the others delivered",
    async (serialization) => {
      const { expected, actual } = await bothParents('bad-frame-parent.js', [serialization]);
      expect(actual).toEqual(expected);
      expect(actual).toMatchObject({ messages: [{ n: 1 }, { n: 2 }, { n: 3 }], close: [0, null] });
    },
  );

  it.each(['listener', 'none'])(
    "a child that exits with 400 large sends queued: no 'error', every callback called, the parent lives ('error' listener: %s)",
    async (mode) => {
      const { expected, actual } = await bothParents('queued-send-parent.js', [mode]);
      expect(actual).toEqual(expected);
      expect(actual).toMatchObject({ errorEvents: 0, callbacks: { null: 200, error: 0 } });
    },
  );
});

describe('fds that arrive unasked, or sent to a child that dies: none is left open (ours)', () => {
  it('fds on a NODE_HANDLE of an unknown type, on a plain message, two at once, and a file as a socket are all closed', async () => {
    const result = await expectNoLeaks(() => runParent('rogue-handle-parent.js', [oursBuilt, addon]));
    expect(result).toEqual({
      code: 0,
      messages: [{ plain: 'message with fds' }, { done: true }],
      errors: ['ERR_INVALID_HANDLE_TYPE', 'ERR_INVALID_FD_TYPE'],
      leaked: 0,
    });
  });

  it('handles sent again and again to a child that exits at the first: every copy of the fd is closed', async () => {
    await expectNoLeaks(async () => {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const child = ours.fork(fixture('queued-send-child.js'), [], { stdio: 'ignore' });
      const callbacks: unknown[] = [];
      for (let i = 0; i < 20; i++) child.send({ i }, server, (error) => callbacks.push(error === null ? null : (error as { code?: string }).code));
      const closed = await new Promise((resolve) => child.on('close', (...args: unknown[]) => resolve(args)));
      await new Promise((resolve) => server.close(resolve));
      expect(closed).toEqual([0, null]);
      // The sends behind an unacknowledged handle wait for its ACK, which never comes: they are
      // called back (with null, as Node's queued writes are) once the channel closes.
      expect(callbacks).toHaveLength(20);
    });
  });
});
