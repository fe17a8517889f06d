// The handles send(message, handle) takes, as Node's handleConversion (lib/internal/child_process.js):
// what a net.Socket, net.Server, dgram.Socket or raw TCP/Pipe/UDP handle gives to send (its fd),
// and what a received fd becomes again (a net.Server listening on it, a net.Socket, a bound
// dgram.Socket, or a raw handle). `key` and the socket lists let net.Server.getConnections() and
// close() count the connections a worker took over (socket-list.ts).
import dgram from 'node:dgram';
import net from 'node:net';
import { closeFd, socketKind } from '../core/raw-fds';
import { invalidHandleType } from './errors';
import { getSocketList, type SocketListOwner } from './socket-list';

export type HandleType = 'net.Native' | 'net.Server' | 'net.Socket' | 'dgram.Native' | 'dgram.Socket';

/** A libuv handle as Node's bindings have it: TCP, Pipe or UDP, with its fd. */
export interface RawHandle {
  fd: number;
  close(callback?: () => void): void;
  onread?: unknown;
  readStop?(): number;
}

/** The NODE_HANDLE message that carries a handle: Node's own wire form. */
export interface HandleMessage {
  cmd: 'NODE_HANDLE';
  type: HandleType;
  msg: unknown;
  key?: string;
  dgramType?: string;
}

export interface SendOptions {
  keepOpen?: boolean;
  swallowErrors?: boolean;
}

/** Node's ERR_INVALID_HANDLE_TYPE for anything else. */
export function handleTypeOf(handle: unknown): HandleType {
  if (handle instanceof net.Socket) return 'net.Socket';
  if (handle instanceof net.Server) return 'net.Server';
  if (handle instanceof dgram.Socket) return 'dgram.Socket';
  const name = (handle as { constructor?: { name?: string } } | null)?.constructor?.name;
  if (name === 'TCP' || name === 'Pipe') return 'net.Native';
  if (name === 'UDP') return 'dgram.Native';
  throw invalidHandleType();
}

/**
 * What goes out for a handle: its libuv handle (whose fd is sent), or undefined when there is
 * none (a socket already sent, or closed): then the message goes alone, as in Node.
 */
export function handleToSend(owner: SocketListOwner, message: HandleMessage, handle: unknown, options: SendOptions): RawHandle | undefined {
  switch (message.type) {
    case 'net.Native':
    case 'dgram.Native':
      return handle as RawHandle;
    case 'net.Server':
      return ((handle as net.Server) as unknown as { _handle: RawHandle | null })._handle ?? undefined;
    case 'dgram.Socket':
      message.dgramType = (handle as dgram.Socket & { type: string }).type;
      return dgramHandle(handle as dgram.Socket);
    case 'net.Socket':
      return socketHandleToSend(owner, message, handle as net.Socket, options);
  }
}

interface ServerInternals {
  _connectionKey: string;
  _connections: number;
  _setupWorker(socketList: unknown): void;
}

interface SocketInternals {
  _handle: RawHandle | null;
  server?: (net.Server & ServerInternals) | null;
  parser?: unknown;
  _httpMessage?: { detachSocket(socket: unknown): void } | null;
}

// Node's 'net.Socket'.send: the socket gives up its handle unless keepOpen, and a server's socket
// is counted from now on by the socket list of that server's key.
function socketHandleToSend(owner: SocketListOwner, message: HandleMessage, socket: net.Socket, options: SendOptions): RawHandle | undefined {
  const internals = socket as unknown as SocketInternals;
  if (!internals._handle) return undefined;
  const server = internals.server;
  if (server) {
    message.key = server._connectionKey;
    const firstTime = !owner.socketLists.send.has(message.key);
    const socketList = getSocketList('send', owner, message.key);
    if (firstTime) server._setupWorker(socketList);
    if (!options.keepOpen) server._connections--;
  }
  const handle = internals._handle;
  if (!options.keepOpen) {
    handle.onread = () => undefined;
    internals._handle = null;
    socket.setTimeout(0);
    releaseHttpParser(socket);
  }
  return handle;
}

// As Node: an HTTP connection's parser goes back to its pool, and its response lets go.
function releaseHttpParser(socket: net.Socket): void {
  const internals = socket as unknown as SocketInternals;
  if (!internals.parser) return;
  const common = require('node:_http_common') as { freeParser(parser: unknown, req: unknown, socket: unknown): void; HTTPParser: new () => unknown };
  if (!(internals.parser instanceof common.HTTPParser)) return;
  common.freeParser(internals.parser, null, socket);
  internals._httpMessage?.detachSocket(socket);
}

function dgramHandle(socket: dgram.Socket): RawHandle | undefined {
  const stateSymbol = Object.getOwnPropertySymbols(socket).find((symbol) => symbol.description === 'state symbol');
  const state = stateSymbol === undefined ? undefined : (socket as unknown as Record<symbol, { handle?: RawHandle | null }>)[stateSymbol];
  return state?.handle ?? undefined;
}

/**
 * Node's postSend: a net.Socket's handle sent without keepOpen is closed once the receiver has
 * acknowledged it (or now, when the send failed); other handles stay their owners'.
 */
export function closesAfterSend(message: HandleMessage, options: SendOptions): boolean {
  return message.type === 'net.Socket' && !options.keepOpen;
}

/**
 * What a received fd becomes, handed to `emit` (for a server and a dgram socket, once listening
 * or bound again, as in Node). The fd is the object's from here on; if none can be made of it,
 * it is closed and the error thrown.
 */
export function handleFromFd(owner: SocketListOwner, message: HandleMessage, fd: number, emit: (handle: unknown) => void): void {
  let made: unknown;
  try {
    made = objectForFd(owner, message, fd, emit);
  } catch (error) {
    closeFd(fd);
    throw error;
  }
  if (made !== undefined) emit(made);
}

function objectForFd(owner: SocketListOwner, message: HandleMessage, fd: number, emit: (handle: unknown) => void): unknown {
  switch (message.type) {
    case 'net.Server': {
      const server = new net.Server();
      server.listen({ fd }, () => emit(server));
      return undefined;
    }
    case 'net.Socket': {
      const socket = new net.Socket({ fd, readable: true, writable: true });
      if (message.key) getSocketList('got', owner, message.key).add(socket);
      return socket;
    }
    case 'dgram.Socket': {
      const socket = dgram.createSocket(message.dgramType === 'udp6' ? 'udp6' : 'udp4');
      socket.bind({ fd }, () => emit(socket));
      return undefined;
    }
    case 'net.Native':
    case 'dgram.Native':
      return rawHandle(fd);
    default:
      throw invalidHandleType();
  }
}

interface Bindings {
  tcp: { TCP: new (type: number) => RawHandle & { open(fd: number): number }; constants: { SOCKET: number } };
  pipe: { Pipe: new (type: number) => RawHandle & { open(fd: number): number }; constants: { SOCKET: number } };
  udp: { UDP: new () => RawHandle & { open(fd: number): number } };
}

// A raw handle as Node's IPC makes one: a TCP or Pipe socket handle, or a UDP handle, on the fd.
// Only through Node's bindings (process.binding, which Node lists as still supported for these).
function rawHandle(fd: number): RawHandle {
  const binding = (name: string): unknown => (process as unknown as { binding(name: string): unknown }).binding(name);
  const bindings: Bindings = {
    tcp: binding('tcp_wrap') as Bindings['tcp'],
    pipe: binding('pipe_wrap') as Bindings['pipe'],
    udp: binding('udp_wrap') as Bindings['udp'],
  };
  const kind = socketKind(fd);
  const handle =
    kind === 'tcp'
      ? new bindings.tcp.TCP(bindings.tcp.constants.SOCKET)
      : kind === 'unix'
        ? new bindings.pipe.Pipe(bindings.pipe.constants.SOCKET)
        : kind === 'udp4' || kind === 'udp6'
          ? new bindings.udp.UDP()
          : null;
  if (handle === null) throw invalidHandleType();
  const error = handle.open(fd);
  if (error !== 0) throw invalidHandleType();
  return handle;
}
