// Passing file descriptors to a child over a 'socket' stdio slot (a socketpair): sendFds() sends
// bytes with fds attached to their first byte as SCM_RIGHTS, through the addon's sendmsg. With a
// frame of the worker protocol as the bytes, a worker written in any language receives the fds
// with that frame (docs/protocol.md, "Passing file descriptors"; workers/c/protocol.h and
// workers/python/process_spawner_worker.py have the receiving side).
import type net from 'node:net';
import { SpawnError } from './errors';
import { native } from './native';

const EAGAIN = 11;
/** native/ipc/fd_passing.h's kMaxPassedFds. */
export const MAX_PASSED_FDS = 16;

interface SocketInternals {
  _handle?: { fd?: number } | null;
}

/**
 * Sends `bytes` on `socket` (our end of a 'socket' slot) with `fds` attached to the first byte.
 * The fds stay ours (the child gets copies). Resolves once every byte has been taken by the
 * kernel. Rejects with a SpawnError (`syscall` 'sendmsg') when the socket refuses them, and with a
 * TypeError for a socket with no fd, other writes still queued on it (the order of bytes would be
 * lost), or more than 16 fds.
 */
export async function sendFds(socket: net.Socket, bytes: Uint8Array, fds: readonly number[]): Promise<void> {
  const fd = (socket as unknown as SocketInternals)._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new TypeError('sendFds() needs a connected socket with an fd (a \'socket\' stdio slot)');
  if (socket.writableLength > 0) throw new TypeError('sendFds() needs a socket with no write still queued: wait for its drain first');
  if (fds.length === 0 || fds.length > MAX_PASSED_FDS || !fds.every((each) => Number.isInteger(each) && each >= 0)) {
    throw new TypeError(`Expected \`fds\` to be 1 to ${MAX_PASSED_FDS} file descriptors, got ${JSON.stringify(fds)}`);
  }
  if (bytes.length === 0) throw new TypeError('sendFds() needs at least one byte to attach the fds to');
  const sent = await sendWhenWritable(fd, bytes, fds);
  // The fds went with the first bytes; the rest is plain data, which the socket's own writes carry.
  if (sent < bytes.length) {
    const rest = bytes.subarray(sent);
    await new Promise<void>((resolve, reject) => socket.write(rest, (error) => (error ? reject(error) : resolve())));
  }
}

// sendmsg at once, or once the socket has room: the wait is a poll on a copy of the fd, since
// libuv already watches the fd itself for the socket.
async function sendWhenWritable(fd: number, bytes: Uint8Array, fds: readonly number[]): Promise<number> {
  for (;;) {
    const sent = native.sendWithFds(fd, bytes, fds);
    if (sent > 0) return sent;
    if (sent !== -EAGAIN) throw new SpawnError({ errno: -sent, syscall: 'sendmsg' });
    await writable(fd);
  }
}

function writable(fd: number): Promise<void> {
  const copy = native.duplicateFd(fd);
  if (copy < 0) return Promise.reject(new SpawnError({ errno: -copy, syscall: 'fcntl' }));
  return new Promise((resolve, reject) => {
    try {
      const watcher = new native.FdWatcher(copy, () => {
        watcher.close();
        native.closeFd(copy);
        resolve();
      });
      watcher.start(false, true);
    } catch (error) {
      // The event loop refused to watch the copy (uv_poll_init failed): it is closed, not leaked.
      native.closeFd(copy);
      reject(error);
    }
  });
}
