/** The seed's chat service: its server, options and the service on a namespace. */
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
