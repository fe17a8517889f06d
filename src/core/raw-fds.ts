// Calls on fds outside a spawn, for the drop-in's IPC channel and its handle passing
// (child_process/): a socketpair, sendmsg and recvmsg carrying fds (SCM_RIGHTS), a duplicate, a
// close, what kind of socket an fd is, and an fd's readiness in the event loop. The addon makes
// them (native/ipc/); each returns what the call said, -errno or an errno value where it failed.
import { native, type NativeFdWatcher, type NativeReceived } from './native';

export type { NativeFdWatcher, NativeReceived } from './native';

/** socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): [ours, non-blocking; the child's], or -errno. */
export function channelSocketpair(): [ours: number, child: number] | number {
  return native.channelSocketpair();
}

/** sendmsg with `fds` as SCM_RIGHTS on the first byte: the bytes the kernel took, or -errno. */
export function sendWithFds(fd: number, bytes: Uint8Array, fds: readonly number[]): number {
  return native.sendWithFds(fd, bytes, fds);
}

/** recvmsg(MSG_CMSG_CLOEXEC) into `buffer`: the bytes read (0 at EOF, -errno), and the fds that came with them, now ours. */
export function receiveWithFds(fd: number, buffer: Uint8Array): NativeReceived {
  return native.receiveWithFds(fd, buffer);
}

/** fcntl(F_DUPFD_CLOEXEC): a copy we own, or -errno. */
export function duplicateFd(fd: number): number {
  return native.duplicateFd(fd);
}

/** close(fd) of an fd of ours that no stream owns: 0 or an errno value. */
export function closeFd(fd: number): number {
  return native.closeFd(fd);
}

/** What kind of socket `fd` is, as a handle of that kind would be made for it. */
export function socketKind(fd: number): 'tcp' | 'udp4' | 'udp6' | 'unix' | 'other' {
  return native.socketKind(fd);
}

/** Tells `onReady` when `fd` is readable or writable (a uv_poll handle in this thread's event loop). */
export function watchFd(fd: number, onReady: (errno: number, readable: boolean, writable: boolean) => void): NativeFdWatcher {
  return new native.FdWatcher(fd, onReady);
}
