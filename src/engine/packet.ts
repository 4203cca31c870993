/**
 * Pure Engine.IO v4 codec: single packets for WebSocket frames, packets and payloads for HTTP
 * long-polling. Nothing here throws or does I/O; decoders return a {@link DecodeResult}.
 */

/** The packet type names, indexed by their wire digit. */
export const PACKET_TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'] as const;

/** An Engine.IO packet type name. */
export type PacketType = (typeof PACKET_TYPES)[number];

/** One Engine.IO packet, discriminated on `type`. */
export type EnginePacket =
  /** Handshake: the JSON-encoded open payload. */
  | { readonly type: 'open'; readonly data: string }
  /** The transport can be closed. */
  | { readonly type: 'close' }
  /** Heartbeat ping (server → client), or `probe` during an upgrade. */
  | { readonly type: 'ping'; readonly data?: string }
  /** Heartbeat pong (client → server), or `probe` during an upgrade. */
  | { readonly type: 'pong'; readonly data?: string }
  /** Application data: text or binary. */
  | { readonly type: 'message'; readonly data: string | Buffer }
  /** Completes an upgrade. */
  | { readonly type: 'upgrade' }
  /** Does nothing; releases a pending long-polling GET. */
  | { readonly type: 'noop' };

/** Why some input did not decode. */
export type PacketDecodeError =
  /** The input was empty where a packet was expected. */
  | 'empty packet'
  /** The first character is not a known packet type digit (nor `b` in polling). */
  | 'unknown packet type'
  /** A `b`-prefixed polling packet whose payload is not base64. */
  | 'invalid base64'
  /** The input was neither a string nor a Buffer. */
  | 'invalid input';

/** The result of a decoder: a value, or a typed error. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: PacketDecodeError };

/** The record separator between packets of a long-polling payload. */
export const RECORD_SEPARATOR = '\x1e';

const TYPE_DIGIT: Readonly<Record<PacketType, string>> = Object.freeze({
  open: '0',
  close: '1',
  ping: '2',
  pong: '3',
  message: '4',
  upgrade: '5',
  noop: '6',
});

// Standard or url-safe alphabet, optional padding; the length is checked separately.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function fail<T>(error: PacketDecodeError): DecodeResult<T> {
  return { ok: false, error };
}

function textData(packet: EnginePacket): string {
  switch (packet.type) {
    case 'open':
      return packet.data;
    case 'ping':
    case 'pong':
      return packet.data ?? '';
    default:
      return '';
  }
}

/**
 * Encodes a packet for one WebSocket frame: a string for a text frame, or the raw Buffer (no type
 * prefix) for a binary message.
 */
export function encodePacketWs(packet: EnginePacket): string | Buffer {
  if (packet.type === 'message') {
    return typeof packet.data === 'string' ? `4${packet.data}` : packet.data;
  }
  return TYPE_DIGIT[packet.type] + textData(packet);
}

/** Encodes a packet as it travels inside a long-polling payload (binary as `b<base64>`). */
export function encodePacketPolling(packet: EnginePacket): string {
  if (packet.type === 'message') {
    return typeof packet.data === 'string' ? `4${packet.data}` : `b${packet.data.toString('base64')}`;
  }
  return TYPE_DIGIT[packet.type] + textData(packet);
}

/** Encodes packets into one long-polling payload, joined by the record separator. */
export function encodePayload(packets: readonly EnginePacket[]): string {
  return packets.map(encodePacketPolling).join(RECORD_SEPARATOR);
}

function decodeText(text: string): DecodeResult<EnginePacket> {
  if (text.length === 0) return fail('empty packet');
  const data = text.slice(1);
  switch (text.charCodeAt(0)) {
    case 0x30:
      return { ok: true, value: { type: 'open', data } };
    case 0x31:
      return { ok: true, value: { type: 'close' } };
    case 0x32:
      return { ok: true, value: data.length > 0 ? { type: 'ping', data } : { type: 'ping' } };
    case 0x33:
      return { ok: true, value: data.length > 0 ? { type: 'pong', data } : { type: 'pong' } };
    case 0x34:
      return { ok: true, value: { type: 'message', data } };
    case 0x35:
      return { ok: true, value: { type: 'upgrade' } };
    case 0x36:
      return { ok: true, value: { type: 'noop' } };
    default:
      return fail('unknown packet type');
  }
}

/**
 * Decodes one WebSocket frame: a Buffer is a binary message as is; a string is a text packet.
 */
export function decodePacketWs(frame: string | Buffer): DecodeResult<EnginePacket> {
  if (typeof frame === 'string') return decodeText(frame);
  if (Buffer.isBuffer(frame)) return { ok: true, value: { type: 'message', data: frame } };
  return fail('invalid input');
}

/** Decodes one packet of a long-polling payload; `b<base64>` is a binary message. */
export function decodePacketPolling(text: string): DecodeResult<EnginePacket> {
  if (typeof text !== 'string') return fail('invalid input');
  if (text.charCodeAt(0) === 0x62 /* b */) {
    const encoded = text.slice(1);
    if (!BASE64.test(encoded) || encoded.length % 4 === 1) return fail('invalid base64');
    return { ok: true, value: { type: 'message', data: Buffer.from(encoded, 'base64') } };
  }
  return decodeText(text);
}

/** Decodes a long-polling payload (packets joined by `\x1e`); any bad packet fails the whole payload. */
export function decodePayload(payload: string): DecodeResult<EnginePacket[]> {
  if (typeof payload !== 'string') return fail('invalid input');
  if (payload.length === 0) return fail('empty packet');
  const packets: EnginePacket[] = [];
  for (const part of payload.split(RECORD_SEPARATOR)) {
    const decoded = decodePacketPolling(part);
    if (!decoded.ok) return decoded;
    packets.push(decoded.value);
  }
  return { ok: true, value: packets };
}
