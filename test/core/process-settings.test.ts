// The POSIX settings of a spawn, each observed from inside the child (/proc/self/*, ulimit,
// umask, id), not from our own bookkeeping.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn, SpawnError, type SpawnOptions } from '../../src/index';
import { allProcesses, expectNoLeaks, eventually, readProcStat } from '../helpers/leaks';
import { finish } from '../helpers/collect';

const isRoot = process.getuid?.() === 0;

async function output(file: string, args: string[], options: SpawnOptions = {}): Promise<string> {
  const result = await finish(spawn(file, args, options));
  expect(result.stderr).toBe('');
  return result.stdout;
}

/** pid, pgrp and session of the shell itself, from /proc/self/stat (fields 1, 5 and 6). */
async function ids(options: SpawnOptions): Promise<{ pid: number; pgrp: number; session: number }> {
  const stat = await output('sh', ['-c', 'cat /proc/$$/stat'], options);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid: Number(stat.split(' ')[0]), pgrp: Number(fields[2]), session: Number(fields[3]) };
}

function statusMask(status: string, field: string): string {
  return new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '';
}

function spawnError(run: () => unknown): SpawnError {
  try {
    run();
  } catch (error) {
    if (error instanceof SpawnError) return error;
    throw error;
  }
  throw new Error('expected spawn to throw');
}

describe('sessions and process groups', () => {
  it('detached (and newSession) make the child a session and group leader', () =>
    expectNoLeaks(async () => {
      for (const options of [{ detached: true }, { newSession: true }]) {
        const { pid, pgrp, session } = await ids(options);
        expect(pgrp).toBe(pid);
        expect(session).toBe(pid);
      }
    }));

  it('processGroup: 0 makes a new group in our session; n joins group n', () =>
    expectNoLeaks(async () => {
      const own = await ids({ processGroup: 0 });
      expect(own.pgrp).toBe(own.pid);
      expect(own.session).toBe(readProcStat(process.pid)?.session);
      const leader = spawn('sleep', ['30'], { processGroup: 0, stdio: 'ignore' });
      const member = await ids({ processGroup: leader.pid });
      expect(member.pgrp).toBe(leader.pid);
      leader.kill('SIGKILL');
      await leader.exited;
    }));

  it('without either, the child stays in our group', () =>
    expectNoLeaks(async () => {
      expect((await ids({})).pgrp).toBe(readProcStat(process.pid)?.pgrp);
    }));

  it('killGroup ends a whole tree: sh and the sleeps it started', () =>
    expectNoLeaks(async () => {
      const tree = spawn('sh', ['-c', 'sleep 100 & sleep 100 & echo started; wait'], { processGroup: 0 });
      await new Promise((resolve) => tree.stdout?.once('data', resolve));
      const members = () => allProcesses().filter((stat) => stat.pgrp === tree.pid && stat.state !== 'Z');
      expect(members().length).toBe(3);
      expect(tree.killGroup('SIGTERM')).toBe(true);
      expect((await tree.exited).signal).toBe('SIGTERM');
      await eventually(() => expect(members()).toEqual([]));
    }));

  it('refuses killGroup for a child in our own group', () =>
    expectNoLeaks(async () => {
      const child = spawn('true', [], { stdio: 'ignore' });
      expect(() => child.killGroup()).toThrow(/processGroup: 0. or .detached: true/);
      await child.exited;
    }));

  it('reports a failed setpgid as its own childStep', () =>
    expectNoLeaks(() => {
      // A group id with no member cannot be joined.
      expect(spawnError(() => spawn('true', [], { processGroup: 2 ** 22 - 3 }))).toMatchObject({
        code: 'EPERM',
        childStep: 'setpgid',
        exitCode: 126,
      });
    }));

  it('rejects processGroup together with detached', () => {
    expect(() => spawn('true', [], { detached: true, processGroup: 0 })).toThrow(TypeError);
  });
});

describe('credentials and umask', () => {
  it.skipIf(!isRoot)('runs as uid 65534 with the given gid and groups', () =>
    expectNoLeaks(async () => {
      expect(await output('id', ['-u'], { uid: 65534 })).toBe('65534\n');
      expect(await output('id', ['-g'], { uid: 65534, gid: 65534 })).toBe('65534\n');
      const groups = await output('id', ['-G'], { uid: 65534, gid: 65534, groups: [100, 65534] });
      expect(groups.trim().split(' ').map(Number).sort((a, b) => a - b)).toEqual([100, 65534]);
      // uid without groups drops root's supplementary groups, as libuv does.
      expect(await output('id', ['-G'], { uid: 65534, gid: 65534 })).toBe('65534\n');
    }));

  it.skipIf(!isRoot)('reports a failed setgroups, setgid or setuid as its own childStep', () =>
    expectNoLeaks(async () => {
      // A root Node process without CAP_SETUID and CAP_SETGID (dropped with setpriv) may not
      // change its credentials: each step fails with EPERM in the child.
      const script = `
        const { spawn } = require('process-spawner');
        const steps = [{ groups: [1] }, { gid: 65534 }, { uid: 65534 }].map((options) => {
          try { spawn('true', [], options); return 'spawned'; } catch (e) { return [e.code, e.childStep, e.exitCode]; }
        });
        console.log(JSON.stringify(steps));
      `;
      const result = await output('setpriv', ['--bounding-set', '-setuid,-setgid', process.execPath, '-e', script], {
        cwd: path.join(__dirname, '..', '..'),
      });
      expect(JSON.parse(result)).toEqual([
        ['EPERM', 'setgroups', 126],
        ['EPERM', 'setgid', 126],
        ['EPERM', 'setuid', 126],
      ]);
    }));

  it('sets the umask', () =>
    expectNoLeaks(async () => {
      expect(await output('sh', ['-c', 'umask'], { umask: 0o027 })).toBe('0027\n');
      expect(await output('sh', ['-c', 'umask'], { umask: 0 })).toBe('0000\n');
    }));
});

describe('resource limits', () => {
  it('applies soft and hard limits, read back with ulimit', () =>
    expectNoLeaks(async () => {
      expect(await output('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { rlimits: { nofile: 256 } })).toBe('256\n256\n');
      expect(await output('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { rlimits: { nofile: [100, 200] } })).toBe('100\n200\n');
      expect(await output('sh', ['-c', 'ulimit -Sc; ulimit -Hc'], { rlimits: { core: [0, Infinity] } })).toBe('0\nunlimited\n');
      expect(await output('sh', ['-c', 'ulimit -s'], { rlimits: { stack: 4096 * 1024 } })).toBe('4096\n');
    }));

  it('a CPU limit ends a busy child with SIGXCPU', () =>
    expectNoLeaks(async () => {
      const child = spawn('sh', ['-c', 'while :; do :; done'], { rlimits: { cpu: [1, 2], core: 0 }, stdio: 'ignore' });
      const exit = await child.exited;
      expect(exit.signal).toBe('SIGXCPU');
      expect(exit.rusage?.userCpuMicros).toBeGreaterThan(0);
    }));

  it('reports a failed setrlimit as its own childStep', () =>
    expectNoLeaks(() => {
      // Above fs.nr_open, even root may not raise the fd limit.
      const tooMany = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8')) + 1;
      expect(spawnError(() => spawn('true', [], { rlimits: { nofile: tooMany } }))).toMatchObject({
        code: 'EPERM',
        childStep: 'setrlimit',
      });
    }));

  it('rejects unknown resources and soft above hard before any syscall', () => {
    expect(() => spawn('true', [], { rlimits: { files: 1 } as never })).toThrow(/Unknown resource `files`/);
    expect(() => spawn('true', [], { rlimits: { nofile: [10, 5] } })).toThrow(RangeError);
    expect(() => spawn('true', [], { rlimits: { nofile: -1 } })).toThrow(TypeError);
  });
});

describe('file descriptors', () => {
  it('closeFds (default) closes fds that native code opened without O_CLOEXEC; off lets them through', async () => {
    const library = buildLeakyLibrary();
    try {
      await expectNoLeaks(async () => {
        const run = async (mode: string) =>
          JSON.parse(
            await output(process.execPath, [path.join(__dirname, '..', 'fixtures/close-fds.js'), library, mode], {
              cwd: path.join(__dirname, '..', '..'),
            }),
          ) as { leaked: number; seen: number[] };
        const on = await run('on');
        expect(on.leaked).toBeGreaterThan(2);
        expect(on.seen).toEqual([0, 1, 2, 3]); // 3 is ls's own directory fd
        const off = await run('off');
        expect(off.seen).toContain(off.leaked);
      });
    } finally {
      rmSync(path.dirname(library), { recursive: true, force: true });
    }
  });

  it("gives the child extra fds: 'pipe' past slot 2 is a socketpair it can write and read", () =>
    expectNoLeaks(async () => {
      const child = spawn('sh', ['-c', 'echo on-three >&3; read reply <&3; echo "got $reply"'], {
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      });
      const channel = child.stdio[3];
      if (!channel) throw new Error('expected stdio[3] to be a stream');
      const first = await new Promise<string>((resolve) => channel.once('data', (chunk) => resolve(String(chunk))));
      expect(first).toBe('on-three\n');
      channel.end('back\n');
      const result = await finish(child);
      expect(result.stdout).toBe('got back\n');
    }));

  it('sets the pipe buffer size with pipeSize (F_SETPIPE_SZ), read back with F_GETPIPE_SZ', () =>
    expectNoLeaks(async () => {
      const script = 'import fcntl, sys; print(fcntl.fcntl(0, 1032), fcntl.fcntl(1, 1032), file=sys.stderr)';
      const child = spawn('python3', ['-c', script], { pipeSize: 1024 * 1024 });
      child.stdin?.end();
      expect((await finish(child)).stderr).toBe('1048576 1048576\n');
    }));
});

describe('signals', () => {
  it('restoreSignals: false keeps ignored signals ignored (Node ignores SIGPIPE)', () =>
    expectNoLeaks(async () => {
      const status = await output('cat', ['/proc/self/status'], { restoreSignals: false });
      expect(BigInt(`0x${statusMask(status, 'SigIgn')}`) & (1n << 12n)).toBe(1n << 12n); // SIGPIPE = 13
      const restored = await output('cat', ['/proc/self/status']);
      expect(statusMask(restored, 'SigIgn')).toBe('0000000000000000');
    }));

  it('signalMask starts the program with those signals blocked', () =>
    expectNoLeaks(async () => {
      const status = await output('cat', ['/proc/self/status'], { signalMask: ['SIGUSR1', 'SIGTERM'] });
      expect(statusMask(status, 'SigBlk')).toBe(((1 << 9) | (1 << 14)).toString(16).padStart(16, '0'));
    }));

  it('parentDeathSignal kills the child when its parent is SIGKILLed', () =>
    expectNoLeaks(async () => {
      const parent = spawn(process.execPath, [path.join(__dirname, '..', 'fixtures/death-signal.js')], {
        cwd: path.join(__dirname, '..', '..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const orphanPid = Number(await new Promise<string>((resolve) => parent.stdout?.once('data', (chunk) => resolve(String(chunk)))));
      expect(readProcStat(orphanPid)?.command).toBe('sleep');
      parent.kill('SIGKILL');
      await parent.exited;
      // Gone, or a zombie of whoever adopted it: either way it is dead.
      await eventually(() => expect([undefined, 'Z']).toContain(readProcStat(orphanPid)?.state));
    }));
});

describe('argv0 and shell', () => {
  it('argv0 sets what the program sees as argv[0]', () =>
    expectNoLeaks(async () => {
      const cmdline = await output('cat', ['/proc/self/cmdline'], { argv0: 'my-name' });
      expect(cmdline.split('\0')).toEqual(['my-name', '/proc/self/cmdline', '']);
    }));

  it('shell: true joins the command and runs it with /bin/sh -c; a path picks the shell', () =>
    expectNoLeaks(async () => {
      expect(await output('echo hello | tr a-z A-Z', [], { shell: true })).toBe('HELLO\n');
      expect(await output('echo', ['$0'], { shell: '/bin/bash' })).toBe('/bin/bash\n');
    }));
});

/** Compiles test/fixtures/c/leaky-library.c into a temporary shared library. */
function buildLeakyLibrary(): string {
  const library = path.join(mkdtempSync(path.join(tmpdir(), 'leaky-')), 'leaky.so');
  execFileSync('cc', ['-shared', '-fPIC', '-o', library, path.join(__dirname, '..', 'fixtures/c/leaky-library.c')]);
  return library;
}
