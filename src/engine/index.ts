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
  ignoreSocketError,
  writeUpgradeError,
} from './errors.js';
export { type Flushable, scheduleFlush } from './flush-pass.js';
export { Heartbeat, HeartbeatState, type HeartbeatSubject } from './heartbeat.js';
export { MAX_TIMER_MS } from './timers.js';
export { type HttpExchange, incomingOf, type RequestSource } from './http/exchange.js';
export { type ForwardOptions, HOP_HEADER, isNodeId } from './forward/forwarder.js';
export { randomId } from './ids.js';
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
  decodePacketWsV3,
  decodePayload,
  decodePayloadV3,
  type EnginePacket,
  encodePacketPolling,
  encodePacketWs,
  encodePacketWsV3,
  encodePayload,
  encodePayloadV3,
  isPayloadV3,
  PACKET_TYPES,
  type PacketDecodeError,
  type PacketType,
  RECORD_SEPARATOR,
} from './packet.js';
export { type EngineMiddleware, MIDDLEWARE_FAILURE, UpgradeResponse } from './middlewares.js';
export { matchesPath, type ParsedRequest, parseRequest, type RequestInfo, RequestTarget } from './request.js';
export { outboundSize, overflows, type SendBufferState } from './send-buffer.js';
export type { EngineConnectionError, EngineRequest, EngineServerEvents } from './events.js';
export type { AttachHooks, PassedUpgrade } from './attach-hooks.js';
export { EngineServer } from './server.js';
export { bufferOf, writeRawMessages } from './transports/frames.js';
export { completeUpgrade } from './transports/handshake.js';
export { wsFastPaths } from './transports/ws-internals.js';
export { summarizeRequest } from './types.js';
export { inWriteTurn, markWrite } from './write-turn.js';
export type {
  CreatedPacket,
  EngineCloseReason,
  EngineHandler,
  EngineProtocol,
  EngineSession,
  HandshakeRequest,
  ApplicationRequestProperties,
  Outbound,
  SendOptions,
  SendResult,
  SessionHandler,
  SessionObserver,
  SessionState,
  TransportName,
} from './types.js';
