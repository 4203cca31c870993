export { type HttpServerInstance, Server } from './server.js';
export {
  type ForwardOptions,
  type ResolvedServerOptions,
  resolveServerOptions,
  SERVER_DEFAULTS,
  type ServerOptions,
} from './options.js';
export { Namespace, type Middleware, RemoteSocket } from './namespace.js';
export { ParentNamespace, type NamespaceMatcher } from './parent-namespace.js';
export { Socket } from './socket.js';
export type { AnyListener, PacketMiddleware } from './socket-hooks.js';
export { ConnectionInfo, type ConnectionEvents, type ReceivedPacket, type TransportView } from './client.js';
export type { AnySocket, ClientSession, ConnectError, Handshake, SocketClient } from './types.js';
export { BroadcastOperator } from './broadcast.js';
export {
  InMemoryAdapter,
  EncodedPacket,
  socketIoFormat,
  type Adapter,
  type AdapterConstructor,
  type AdapterEvents,
  type AdapterHost,
  type BroadcastFlags,
  type BroadcastOptions,
  type LocalSocket,
  type Recipient,
  type Room,
  type SocketId,
  type WireFormat,
} from './adapter.js';
export type { AnyAdapterConstructor, SocketIoAdapterShape } from './adapter-compat.js';
export { SessionAwareAdapter } from './session-aware-adapter.js';
export {
  RECOVERABLE_REASONS,
  RECOVERY_DEFAULTS,
  type ConnectionStateRecoveryOptions,
  type Offset,
  type PrivateSessionId,
  type Session,
  type SessionToPersist,
} from './recovery.js';
export { Connection } from './connection.js';
export type { Parser, ParserDecoder, ParserEncoder, ParserPacket } from './custom-parser.js';
export { EncodeError, type EncodeErrorCode } from './encode-error.js';
export { MAX_ENCODE_DEPTH } from './binary.js';
export { type DisconnectReason, DISCONNECT_REASONS } from './reasons.js';
export * as parser from './packet.js';
export type * from './typed-events.js';
