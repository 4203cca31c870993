/** `parley gateway`: plain WebSocket (and Socket.IO) clients bridged to an upstream Socket.IO server. */
export { type BridgeState, type Gateway, type GatewayStats, startGateway } from './gateway.js';
export { GATEWAY_ERROR_FATAL, type GatewayErrorCode, type GatewayErrorFrame, UPSTREAM_CLOSE_CODE } from './errors.js';
export { type ForwardedHandshake, forwardedHandshake } from './handshake.js';
export {
  GATEWAY_DEFAULTS,
  type GatewayOptions,
  normalizePath,
  type ResolvedGatewayOptions,
  resolveGatewayOptions,
} from './options.js';
export type {
  AckCallback,
  Upstream,
  UpstreamAck,
  UpstreamConnectError,
  UpstreamConnectOptions,
  UpstreamDisconnectKind,
  UpstreamEvents,
  UpstreamFactory,
  UpstreamTransport,
} from './upstream.js';
export { clientUpstream } from './upstream-client.js';
