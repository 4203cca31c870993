/**
 * Engine.IO v4 server: sessions over HTTP long-polling and WebSocket, with handshake, heartbeat,
 * upgrade and payload batching. The layer above implements {@link EngineHandler}.
 */
export { type CorsHeaders, corsHeaders } from './cors.js';
export {
  ENGINE_ERRORS,
  type EngineError,
  type EngineErrorCode,
  type EngineErrorInfo,
  errorBody,
} from './errors.js';
export { OutboundMessage, toOutbound } from './message.js';
export {
  type AllowRequest,
  COOKIE_DEFAULTS,
  type CookieOptions,
  type CorsOptions,
  type CorsOriginFunction,
  DEFAULTS,
  type EngineOptions,
  type PerMessageDeflateOptions,
  type ResolvedEngineOptions,
  resolveOptions,
} from './options.js';
export {
  type DecodeResult,
  decodePacketPolling,
  decodePacketWs,
  decodePayload,
  type EnginePacket,
  encodePacketPolling,
  encodePacketWs,
  encodePayload,
  PACKET_TYPES,
  type PacketDecodeError,
  type PacketType,
  RECORD_SEPARATOR,
} from './packet.js';
export { matchesPath, type ParsedRequest, parseRequest, type RequestInfo, RequestTarget } from './request.js';
export { EngineServer } from './server.js';
export { summarizeRequest } from './types.js';
export type {
  EngineCloseReason,
  EngineHandler,
  EngineSession,
  HandshakeRequest,
  Outbound,
  SendOptions,
  SendResult,
  SessionHandler,
  SessionState,
  TransportName,
} from './types.js';
