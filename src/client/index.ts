/**
 * parley's client (`parley/client`): Engine.IO v4 / Socket.IO v5 and Engine.IO v3 / Socket.IO v4
 * (socket.io 2.x, python-socketio 4.x), with socket.io-client's API: `io(url, opts)` returns a
 * Socket; sockets of one server share a Manager (one connection) unless `forceNew`.
 */
import { Manager } from './manager.js';
import type { IoOptions, SocketOptions } from './options.js';
import type { Socket } from './socket.js';

export { Backoff } from './backoff.js';
export type { EngineCloseReason, EngineEvents, EngineOpenError, Handshake } from './engine.js';
export { AckError, type AckErrorCode, ConnectError, type ConnectErrorReason } from './errors.js';
export { type DisconnectReason, Manager, type ManagerEvents } from './manager.js';
export {
  type AuthOption,
  CLIENT_DEFAULTS,
  type EngineOptions,
  type IoOptions,
  type ManagerOptions,
  type SocketOptions,
  type TransportName,
  type WebSocketConstructor,
  type WebSocketLike,
} from './options.js';
export { type AnyListener, type DroppedPacket, Socket, type SocketReservedEvents } from './socket.js';

const managers = new Map<string, Manager>();

interface ParsedUri {
  /** http(s)://host:port */
  origin: string;
  nsp: string;
  query: Record<string, string>;
}

function parseUri(uri: string | undefined): ParsedUri {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  if (uri === undefined && base === undefined) throw new TypeError('io(): a URL is needed outside a browser');
  const url = new URL(uri ?? '', base);
  const protocol = url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
  return {
    origin: `${protocol}//${url.host}`,
    nsp: url.pathname === '' ? '/' : url.pathname,
    query: Object.fromEntries(url.searchParams),
  };
}

/**
 * The Socket of the URL's namespace (its path; '/' by default). The Manager of the server (same
 * origin and `path`) is reused unless `forceNew`, `multiplex: false`, or the namespace already has
 * a socket on it (then a new connection, as socket.io-client does).
 */
export function io(uri?: string | IoOptions, opts: IoOptions = {}): Socket {
  if (typeof uri === 'object') {
    opts = uri;
    uri = undefined;
  }
  const parsed = parseUri(uri);
  const managerOpts: IoOptions = { ...opts, query: { ...parsed.query, ...opts.query } };
  const id = `${parsed.origin}${opts.path ?? ''}`;
  const cached = managers.get(id);
  const newConnection = opts.forceNew || opts.multiplex === false || cached?.hasSocket(parsed.nsp) === true;
  let manager: Manager;
  if (newConnection || !cached) {
    manager = new Manager(parsed.origin, managerOpts);
    if (!newConnection) managers.set(id, manager);
  } else {
    manager = cached;
  }
  const socketOpts: Partial<SocketOptions> = {};
  if (opts.auth !== undefined) socketOpts.auth = opts.auth;
  if (opts.ackTimeout !== undefined) socketOpts.ackTimeout = opts.ackTimeout;
  if (opts.maxBufferedPackets !== undefined) socketOpts.maxBufferedPackets = opts.maxBufferedPackets;
  return manager.socket(parsed.nsp, socketOpts);
}

export { io as connect };
export default io;
