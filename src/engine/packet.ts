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
  | 'invalid input'
  /** An Engine.IO v3 polling payload whose `<length>:` prefix is missing, not a number, or too long. */
  | 'invalid payload length';

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

// ---- Engine.IO v3 (socket.io 2.x, python-engineio 3.x) --------------------------------------------
// Only the framing differs from v4: packets are the same digits and data. A v3 polling payload is
// `<length>:<packet>` repeated, the length counted in UTF-16 code units as engine.io-parser 2 does;
// a binary packet there is `b<type digit><base64>` (the client asks for it with `b64=1`), and a
// binary WebSocket frame starts with its type byte.

const V3_PAYLOAD = /^\d+:/;

/** Whether a polling payload is in the Engine.IO v3 format (`<length>:<packet>`), not v4's. */
export function isPayloadV3(payload: string): boolean {
  return typeof payload === 'string' && V3_PAYLOAD.test(payload);
}

function encodePacketPollingV3(packet: EnginePacket): string {
  if (packet.type === 'message' && typeof packet.data !== 'string') {
    return `b4${packet.data.toString('base64')}`;
  }
  return encodePacketPolling(packet);
}

/** Encodes packets into one Engine.IO v3 long-polling payload (binary as `b4<base64>`). */
export function encodePayloadV3(packets: readonly EnginePacket[]): string {
  let out = '';
  for (const packet of packets) {
    const text = encodePacketPollingV3(packet);
    out += `${text.length}:${text}`;
  }
  return out;
}

function decodePacketPollingV3(text: string): DecodeResult<EnginePacket> {
  if (text.charCodeAt(0) === 0x62 /* b */) {
    // Only a message can carry binary; the digit after `b` is its type.
    if (text.charCodeAt(1) !== 0x34) return fail('unknown packet type');
    return decodePacketPolling(`b${text.slice(2)}`);
  }
  return decodeText(text);
}

/** Decodes an Engine.IO v3 long-polling payload; any bad length or packet fails the whole payload. */
export function decodePayloadV3(payload: string): DecodeResult<EnginePacket[]> {
  if (typeof payload !== 'string') return fail('invalid input');
  if (payload.length === 0) return fail('empty packet');
  const packets: EnginePacket[] = [];
  let i = 0;
  while (i < payload.length) {
    const colon = payload.indexOf(':', i);
    // 15 digits keep the number exact; no real payload comes near.
    if (colon <= i || colon - i > 15) return fail('invalid payload length');
    const digits = payload.slice(i, colon);
    if (!/^\d+$/.test(digits)) return fail('invalid payload length');
    const length = Number(digits);
    const start = colon + 1;
    if (start + length > payload.length) return fail('invalid payload length');
    const decoded = decodePacketPollingV3(payload.slice(start, start + length));
    if (!decoded.ok) return decoded;
    packets.push(decoded.value);
    i = start + length;
  }
  return { ok: true, value: packets };
}

/** Encodes a packet for one Engine.IO v3 WebSocket frame: binary is prefixed with its type byte. */
export function encodePacketWsV3(packet: EnginePacket): string | Buffer {
  if (packet.type === 'message' && typeof packet.data !== 'string') {
    return Buffer.concat([Buffer.of(4), packet.data]);
  }
  return encodePacketWs(packet);
}

/** Decodes one Engine.IO v3 WebSocket frame: a binary frame's first byte is its packet type. */
export function decodePacketWsV3(frame: string | Buffer): DecodeResult<EnginePacket> {
  if (typeof frame === 'string') return decodeText(frame);
  if (!Buffer.isBuffer(frame)) return fail('invalid input');
  if (frame.length === 0) return fail('empty packet');
  if (frame[0] !== 4) return fail('unknown packet type');
  return { ok: true, value: { type: 'message', data: frame.subarray(1) } };
}
