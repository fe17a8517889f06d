// A program written for node:child_process, with the import swapped: it must type-check under
// strict settings and `module: nodenext` exactly as it does against @types/node.
// Checked by test/child_process/types.test.ts with `tsc -p test/types`.
import type * as node from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import * as cp from '../../src/child_process/index.js';

// The module fits where node:child_process is expected, for the functions it provides.
type Provided = 'spawn' | 'exec' | 'execFile' | 'fork' | 'ChildProcess';
export const asNode: Pick<typeof node, Provided> = cp;

export async function promisified(): Promise<string> {
  const { stdout } = await promisify(cp.execFile)('sh', ['-c', 'echo hi']);
  const fromExec: { stdout: string; stderr: string } = await promisify(cp.exec)('echo hi');
  const buffers: { stdout: Buffer } = await promisify(cp.execFile)('ls', [], { encoding: 'buffer' });
  return stdout + fromExec.stderr + buffers.stdout.toString();
}

export function overloads(): void {
  // Node's overloads: default stdio gives streams that are not null.
  const ls = cp.spawn('ls');
  const out: Readable = ls.stdout;
  const input: Writable = ls.stdin;
  const piped: Readable = cp.spawn('ls', ['-l'], { stdio: ['ignore', 'pipe', 'inherit'] }).stdout;
  // @ts-expect-error stdio 'ignore': Node's types say stdout is null.
  const none: Readable = cp.spawn('ls', { stdio: 'ignore' }).stdout;
  const child: node.ChildProcess = cp.fork('./worker.js', ['a'], { serialization: 'advanced', silent: true });
  child.send({ hello: 'world' }, (error) => error?.message);
  child.on('message', (message: node.Serializable) => message);
  cp.execFile('ls', (error, stdout: string) => error?.code ?? stdout);
  const made: cp.ChildProcess = new cp.ChildProcess();
  void [out, input, piped, none, made];
}
