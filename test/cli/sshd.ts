// A throwaway sshd on a localhost port for the remote-run tests: its own host key and user key in
// a temp directory, two host aliases in an ssh config file (what a user's ~/.ssh/config would
// hold), started and killed by pid. Where sshd cannot run here, start() resolves with the reason.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { spawn, type Subprocess } from '../../src/index';

const SSHD = '/usr/sbin/sshd';
export const HOSTS = ['ps-test-a', 'ps-test-b'] as const;

export interface Sshd {
  directory: string;
  /** The ssh command for --ssh or $PARALLEL_SSH: `ssh -F <config>`. */
  ssh: string;
  stop(): Promise<void>;
}

/** A running sshd, or the reason it cannot run here. */
export async function startSshd(): Promise<Sshd | string> {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (apt-get install openssh-server)`;
  const directory = mkdtempSync(path.join(tmpdir(), 'cli-sshd-'));
  try {
    // sshd refuses to start as root without its privilege separation directory, which the
    // package's service unit makes at boot; no service runs here.
    if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    for (const key of ['host_key', 'user_key']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(directory, key)]);
    writeFileSync(path.join(directory, 'authorized_keys'), readFileSync(path.join(directory, 'user_key.pub')));
    const port = await freePort();
    const user = userInfo().username;
    writeFileSync(path.join(directory, 'sshd_config'), [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${directory}/host_key`, `AuthorizedKeysFile ${directory}/authorized_keys`,
      'StrictModes no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', `PidFile ${directory}/sshd.pid`,
      'PermitRootLogin prohibit-password', `AllowUsers ${user}`, 'MaxStartups 100', 'MaxSessions 100', 'LogLevel ERROR', '',
    ].join('\n'));
    const hostKey = readFileSync(path.join(directory, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(path.join(directory, 'known_hosts'), `ps-test ${hostKey}\n`);
    writeFileSync(path.join(directory, 'ssh_config'), [
      `Host ${HOSTS.join(' ')}`, '  HostName 127.0.0.1', `  Port ${port}`, `  User ${user}`, `  IdentityFile ${directory}/user_key`,
      '  IdentitiesOnly yes', '  HostKeyAlias ps-test', `  UserKnownHostsFile ${directory}/known_hosts`, '  StrictHostKeyChecking yes',
      '  BatchMode yes', '  LogLevel ERROR', '',
    ].join('\n'));
    const daemon = spawn(SSHD, ['-D', '-e', '-f', path.join(directory, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    daemon.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const ready = await waitForPort(port, daemon);
    if (!ready) {
      await stopDaemon(daemon);
      rmSync(directory, { recursive: true, force: true });
      return `sshd did not start: ${log.trim() || 'no port'}`;
    }
    return {
      directory,
      ssh: `ssh -F ${directory}/ssh_config`,
      stop: async () => {
        await stopDaemon(daemon);
        rmSync(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    return `sshd cannot run here: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
}

async function stopDaemon(daemon: Subprocess): Promise<void> {
  daemon.kill('SIGTERM');
  await daemon.exited;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

// Polls until the port takes connections (true), sshd exits, or 5 s pass (false).
async function waitForPort(port: number, daemon: Subprocess): Promise<boolean> {
  let exited = false;
  void daemon.exited.then(() => (exited = true));
  for (const deadline = Date.now() + 5000; Date.now() < deadline && !exited; ) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
