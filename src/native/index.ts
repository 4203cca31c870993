/**
 * Plain WebSocket clients as a framed transport (no Socket.IO knowledge): the layer above decodes
 * their frames and implements {@link PlainSessionHandler}.
 */
export {
  type PlainConnectionListener,
  type PlainSession,
  type PlainSessionHandler,
  PLAIN_TRANSPORT_DEFAULTS,
  type PlainTransportOptions,
  PlainWebSocketServer,
} from './server.js';
