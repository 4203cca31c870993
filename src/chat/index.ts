/** The seed's chat service: its server, options and the service on a namespace. */
export {
  ANY_ORIGIN,
  canonicalOrigin,
  describeCorsOrigins,
  OriginPolicy,
  type OriginRequest,
  OriginSyntaxError,
  originRequest,
  parseCorsOrigin,
  parseCorsOriginList,
} from './origin.js';
export {
  CHAT_DEFAULTS,
  type ChatServer,
  type ChatServerOptions,
  type RunningChat,
  startChatServer,
} from './server.js';
export {
  attachChat,
  type ChatClientEvents,
  type ChatNamespace,
  type ChatServerEvents,
  type ChatServiceOptions,
  type ChatSocketData,
  type Member,
} from './service.js';
export { type Announcer, MemoryLimitsStore, type SharedLimitsStore } from './shared-store.js';
export type { ClusterEvent } from './cluster-events.js';
