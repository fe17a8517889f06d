// Node's socket lists (lib/internal/socket_list.js), so that a net.Server whose connections were
// sent to a child still counts them: the sender's list asks the child (NODE_SOCKET_GET_COUNT,
// NODE_SOCKET_NOTIFY_CLOSE) for server.getConnections() and server.close(); the receiver's list
// answers for the sockets it took over. The same internal messages as Node's, so either side can
// be Node's own.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { childClosedBeforeReply } from './errors';

/** The channel that carries the lists' messages, and the ChildProcess it belongs to. */
export interface SocketListOwner {
  readonly child: EventEmitter & { connected: boolean };
  readonly socketLists: { send: Map<string, SocketListSend>; got: Map<string, SocketListReceive> };
  /** Node's internal _send(message, handle, swallowErrors). */
  sendInternal(message: object, swallowErrors: boolean): void;
}

interface ListMessage {
  cmd: string;
  key: string;
  count?: number;
}

/** Tracks the sockets sent to a child for one server key. */
export class SocketListSend extends EventEmitter {
  readonly key: string;
  readonly #owner: SocketListOwner;

  constructor(owner: SocketListOwner, key: string) {
    super();
    this.key = key;
    this.#owner = owner;
    owner.child.once('exit', () => this.emit('exit', this));
  }

  close(callback: (error: Error | null, message?: ListMessage) => void): void {
    this.#request({ cmd: 'NODE_SOCKET_NOTIFY_CLOSE', key: this.key }, 'NODE_SOCKET_ALL_CLOSED', true, callback);
  }

  getConnections(callback: (error: Error | null, count?: number) => void): void {
    this.#request({ cmd: 'NODE_SOCKET_GET_COUNT', key: this.key }, 'NODE_SOCKET_COUNT', false, (error, message) => {
      if (error) return callback(error);
      callback(null, message?.count);
    });
  }

  #request(message: ListMessage, cmd: string, swallowErrors: boolean, callback: (error: Error | null, message?: ListMessage) => void): void {
    const child = this.#owner.child;
    const onReply = (reply: ListMessage): void => {
      if (!(reply.cmd === cmd && reply.key === this.key)) return;
      child.removeListener('disconnect', onClose);
      child.removeListener('internalMessage', onReply);
      callback(null, reply);
    };
    const onClose = (): void => {
      child.removeListener('internalMessage', onReply);
      callback(childClosedBeforeReply());
    };
    if (!child.connected) return onClose();
    this.#owner.sendInternal(message, swallowErrors);
    child.once('disconnect', onClose);
    child.on('internalMessage', onReply);
  }
}

/** Counts the sockets of one server key that a child sent us, and answers for them. */
export class SocketListReceive extends EventEmitter {
  readonly key: string;
  connections = 0;

  constructor(owner: SocketListOwner, key: string) {
    super();
    this.key = key;
    const child = owner.child;
    const onEmpty = (): void => {
      if (child.connected) owner.sendInternal({ cmd: 'NODE_SOCKET_ALL_CLOSED', key: this.key }, true);
    };
    child.on('internalMessage', (message: ListMessage) => {
      if (message.key !== this.key) return;
      if (message.cmd === 'NODE_SOCKET_NOTIFY_CLOSE') {
        if (this.connections === 0) return onEmpty();
        this.once('empty', onEmpty);
      } else if (message.cmd === 'NODE_SOCKET_GET_COUNT') {
        if (child.connected) owner.sendInternal({ cmd: 'NODE_SOCKET_COUNT', key: this.key, count: this.connections }, false);
      }
    });
  }

  add(socket: net.Socket): void {
    this.connections++;
    socket.once('close', () => {
      if (--this.connections === 0) this.emit('empty', this);
    });
  }
}

export function getSocketList(type: 'send', owner: SocketListOwner, key: string): SocketListSend;
export function getSocketList(type: 'got', owner: SocketListOwner, key: string): SocketListReceive;
export function getSocketList(type: 'send' | 'got', owner: SocketListOwner, key: string): SocketListSend | SocketListReceive {
  const lists = owner.socketLists[type] as Map<string, SocketListSend | SocketListReceive>;
  let list = lists.get(key);
  if (list === undefined) {
    list = type === 'send' ? new SocketListSend(owner, key) : new SocketListReceive(owner, key);
    lists.set(key, list);
  }
  return list;
}
