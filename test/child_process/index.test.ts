// The conformance table of process-spawner/child_process: each behaviour runs once against
// node:child_process and once against ours (see test/helpers/conformance.ts).
import type { SpawnOptions } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  callbackResult,
  conforms,
  describeError,
  observe,
  text,
  thrown,
  type Behaviour,
  type Promisified,
} from '../helpers/conformance';

let scratch: string;
let notExecutable: string;
let withoutShebang: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'child-process-test-'));
  notExecutable = path.join(scratch, 'not-executable');
  writeFileSync(notExecutable, '#!/bin/sh\necho never\n', { mode: 0o644 });
  withoutShebang = path.join(scratch, 'without-shebang');
  writeFileSync(withoutShebang, 'echo "run by a shell: $#"\n', { mode: 0o755 });
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;

// ---------------------------------------------------------------------------------------------
// The table

const behaviours: Behaviour[] = [
  {
    name: 'spawn: echo, with spawn, exit and close in order',
    run: (cp) => observe(cp.spawn('echo', ['hello', 'world'], {})),
  },
  {
    name: 'spawn: an exit code and stderr',
    run: (cp) => observe(cp.spawn('sh', ['-c', 'echo oops >&2; exit 3'], {})),
  },
  {
    name: 'spawn: stdin reaches the child',
    run: async (cp) => {
      const child = cp.spawn('tr', ['a-z', 'A-Z'], {});
      child.stdin?.end('shout\n');
      return observe(child);
    },
  },
  {
    name: 'kill(): SIGTERM by default, killed set, false once closed',
    run: async (cp) => {
      const child = cp.spawn('sleep', ['30'], {});
      const sent: boolean[] = [];
      const observed = await observe(child, () => sent.push(child.kill()));
      return { observed, sent, afterClose: child.kill() };
    },
  },
  {
    name: 'spawn(command, options): the arguments may be left out',
    run: (cp) => observe(cp.spawn('pwd', { cwd: '/' })),
  },
  {
    name: 'kill(0): only checks that the child exists, yet sets killed, as in Node',
    run: async (cp) => {
      const child = cp.spawn('sleep', ['30'], {});
      const probe = child.kill(0);
      const killedAfterProbe = child.killed;
      child.kill('SIGKILL');
      return { probe, killedAfterProbe, observed: await observe(child) };
    },
  },
  {
    name: 'kill(): an unknown signal throws ERR_UNKNOWN_SIGNAL; a number and a lower-case name work',
    run: async (cp) => {
      const child = cp.spawn('sleep', ['30'], {});
      const unknown = thrown(() => child.kill('SIGNOPE' as NodeJS.Signals));
      const sent = child.kill('sigusr1' as NodeJS.Signals);
      return { unknown, sent, observed: await observe(child) };
    },
  },
  {
    name: 'ENOENT: error, then close(-2), a tick later; no pid; streams exist and end empty',
    run: async (cp) => {
      const child = cp.spawn('no-such-program-for-conformance', ['a', 'b'], {});
      return { pidAtOnce: typeof child.pid, streams: child.stdio.map((s) => typeof s), observed: await observe(child) };
    },
  },
  {
    name: 'EACCES: a file without the execute bit',
    run: (cp) => observe(cp.spawn(notExecutable, ['x'], {})),
  },
  {
    name: 'bad cwd: ENOENT naming the file, not the directory',
    run: (cp) => observe(cp.spawn('sh', ['-c', 'true'], { cwd: path.join(scratch, 'no-such-dir') })),
  },
  {
    name: 'a cwd that is a file: ENOTDIR thrown by spawn() itself',
    run: async (cp) => thrown(() => cp.spawn('sh', ['-c', 'true'], { cwd: notExecutable })),
  },
  {
    name: 'an argument longer than the kernel takes: E2BIG thrown by spawn() itself',
    run: async (cp) => thrown(() => cp.spawn('true', ['x'.repeat(200_000)], {})),
  },
  {
    name: 'validation: a uid that is not an int32 is a TypeError with Node\'s message',
    run: async (cp) => ({
      uid: thrown(() => cp.spawn('true', [], { uid: 'root' as unknown as number })),
      timeout: thrown(() => cp.spawn('true', [], { timeout: -1 })),
      stdio: thrown(() => cp.spawn('true', [], { stdio: 'nope' as 'pipe' })),
      nul: thrown(() => cp.spawn('true', ['a\0b'], {})),
    }),
  },
  {
    name: "stdio 'ignore': no streams, and close right after exit",
    run: (cp) => observe(cp.spawn('sh', ['-c', 'echo hidden; echo hidden >&2'], { stdio: 'ignore' })),
  },
  {
    name: "stdio 'inherit' and an fd number: the child writes to our file",
    run: async (cp) => {
      const file = path.join(scratch, `fd-${Math.random()}`);
      const fd = openSync(file, 'w');
      try {
        const observed = await observe(cp.spawn('sh', ['-c', 'echo out; echo err >&2'], { stdio: ['inherit', fd, fd] }));
        return { observed, file: readFileSync(file, 'utf8') };
      } finally {
        closeSync(fd);
      }
    },
  },
  {
    name: "stdio longer than 3: a 'pipe' at fd 3, and close waits for it",
    run: async (cp) => {
      const child = cp.spawn('sh', ['-c', 'echo three >&3; echo one'], { stdio: ['ignore', 'pipe', 'ignore', 'pipe'] });
      const [fd3, observed] = await Promise.all([text((child.stdio[3] ?? null) as Readable | null), observe(child)]);
      return { fd3, observed };
    },
  },
  {
    name: 'argv0: what the child sees as $0',
    run: (cp) => observe(cp.spawn('sh', ['-c', 'echo "$0"'], { argv0: 'renamed' })),
  },
  {
    name: 'shell: true joins the command and arguments with spaces for /bin/sh -c',
    run: (cp) => observe(cp.spawn('echo', ['one', '"two   three"', '$((1 + 2))'], { shell: true })),
  },
  {
    name: 'shell: a path',
    run: (cp) => observe(cp.spawn('echo $0', [], { shell: '/bin/sh' })),
  },
  {
    name: 'detached: the child leads a new session (sid == pid, from /proc/<pid>/stat)',
    run: async (cp) => {
      const sessionOf = async (options: SpawnOptions): Promise<unknown> => {
        const child = cp.spawn('sh', ['-c', 'cut -d" " -f6 /proc/$$/stat'], options);
        const { stdout, ...observed } = await observe(child);
        return { leader: Number(stdout) === child.pid, observed };
      };
      return { detached: await sessionOf({ detached: true }), attached: await sessionOf({}) };
    },
  },
  {
    name: 'env: exactly the given variables, undefined ones dropped',
    run: (cp) => observe(cp.spawn('/usr/bin/env', [], { env: { ONLY: 'this', EMPTY: '', DROPPED: undefined } })),
  },
  {
    name: 'uid and gid: id -u and id -g in the child',
    run: (cp) => {
      const id = isRoot ? 65534 : (process.getuid?.() ?? 0);
      return observe(cp.spawn('sh', ['-c', 'id -u; id -g'], { uid: id, gid: isRoot ? id : (process.getgid?.() ?? 0) }));
    },
  },
  {
    name: 'timeout and killSignal: killed with the given signal, killed set',
    run: (cp) => observe(cp.spawn('sleep', ['30'], { timeout: 20, killSignal: 'SIGKILL' })),
  },
  {
    name: 'AbortSignal: killed with killSignal, and an AbortError carrying the reason',
    run: async (cp) => {
      const controller = new AbortController();
      const child = cp.spawn('sleep', ['30'], { signal: controller.signal, killSignal: 'SIGINT' });
      const causes: unknown[] = [];
      child.on('error', (error: Error) => causes.push(describeError(error.cause)));
      const observed = await observe(child, () => controller.abort());
      return { observed, causes };
    },
  },
  {
    name: 'AbortSignal already aborted: spawn, then the AbortError, then exit',
    run: (cp) => observe(cp.spawn('sleep', ['30'], { signal: AbortSignal.abort('early') })),
  },
  {
    name: 'execFile: the callback gets stdout and stderr',
    run: (cp) => callbackResult((done) => cp.execFile('sh', ['-c', 'echo out; echo err >&2'], {}, done)),
  },
  {
    name: 'execFile: a non-zero exit is an error with code, killed, signal and cmd',
    run: (cp) => callbackResult((done) => cp.execFile('sh', ['-c', 'echo out; echo err >&2; exit 3'], {}, done)),
  },
  {
    name: 'execFile: ENOENT reaches the callback with cmd',
    run: (cp) => callbackResult((done) => cp.execFile('no-such-program-for-conformance', ['x'], {}, done)),
  },
  {
    name: 'execFile: timeout kills with SIGTERM and reports killed',
    run: (cp) => callbackResult((done) => cp.execFile('sleep', ['30'], { timeout: 20 }, done)),
  },
  {
    name: 'execFile: with shell, the joined command runs and cmd shows it',
    run: (cp) => callbackResult((done) => cp.execFile('echo "$0" joined;', ['exit', '4'], { shell: true }, done)),
  },
  {
    name: "execFile: encoding 'buffer' gives Buffers",
    run: (cp) => callbackResult((done) => cp.execFile('printf', ['\\377\\000ok'], { encoding: 'buffer' }, done)),
  },
  {
    name: 'exec: a shell pipeline',
    run: (cp) => callbackResult((done) => cp.exec('printf "b\\na\\n" | sort | tr a-z A-Z', {}, done)),
  },
  {
    name: 'exec: past maxBuffer, the output is cut and the child killed',
    run: (cp) => callbackResult((done) => cp.exec('exec yes', { maxBuffer: 100 }, done)),
  },
  {
    name: 'exec: an AbortSignal ends the command with an AbortError',
    // `exec`: the shell becomes sleep, so the signal ends the command itself, with no orphaned sleep left behind.
    run: (cp) => callbackResult((done) => cp.exec('exec sleep 30', { signal: AbortSignal.abort() }, done)),
  },
  {
    name: 'promisify(execFile): { stdout, stderr }, or a rejection carrying them',
    run: async (cp) => {
      const execFile = promisify(cp.execFile) as unknown as Promisified;
      const running = execFile('sh', ['-c', 'echo fine']);
      const resolved = await running;
      const rejected = await execFile('sh', ['-c', 'echo partial; echo why >&2; exit 5']).catch(describeError);
      return { resolved, rejected, child: typeof running.child.pid };
    },
  },
  {
    name: 'promisify(exec): { stdout, stderr }, or a rejection carrying them',
    run: async (cp) => {
      const exec = promisify(cp.exec) as unknown as Promisified;
      const resolved = await exec('echo "$((6 * 7))"');
      const rejected = await exec('echo partial; exit 4').catch(describeError);
      return { resolved, rejected };
    },
  },
  {
    // glibc's execvp (and so Node) runs a file that execve rejects with ENOEXEC through /bin/sh;
    // our spawn() reports ENOEXEC, and the drop-in does what execvp does.
    name: 'an executable script without #!: run by /bin/sh, as execvp does (ENOEXEC)',
    run: (cp) => observe(cp.spawn(withoutShebang, ['one', 'two'], {})),
  },
];

describe('child_process conformance: node:child_process and ours observe the same', () => {
  it.each(behaviours.map((behaviour) => [behaviour.name, behaviour] as const))('%s', (_name, behaviour) => conforms(behaviour));
});
