/**
 * Pure Engine.IO v3 codec for the server side of `allowEIO3`: what engine.io-parser 2 (the parser of
 * socket.io-client 2.x and the mobile clients of its era) puts on the wire, beyond the text payload
 * framing of packet.ts (`<length>:<packet>`, binary as `b4<base64>`):
 *
 * - XHR2 binary payloads, for polling clients that did not ask for base64 (`b64`): each packet is
 *   `<0 text | 1 binary><length as one byte per decimal digit><0xff><packet>`, text packets in
 *   UTF-8 and their length in bytes, binary packets with their type byte first;
 * - WebSocket frames: a binary frame starts with its type byte; a client that asked for base64
 *   gets (and may send) binary as a `b4<base64>` text frame.
 *
 * Nothing here throws or does I/O; decoders return a {@link DecodeResult}.
 */
import {
  type DecodeResult,
  decodePacketPolling,
  decodePacketWsV3,
  decodePayloadV3,
  type EnginePacket,
  encodePacketPolling,
  encodePayloadV3,
  type PacketDecodeError,
} from '../packet.js';

export { decodePayloadV3, encodePayloadV3 };

const MESSAGE = 4;
const TEXT_MARK = 0;
const BINARY_MARK = 1;
const LENGTH_END = 0xff;
/** More digits than any payload under maxPayload needs; keeps the number exact. */
const MAX_LENGTH_DIGITS = 15;

function fail<T>(error: PacketDecodeError): DecodeResult<T> {
  return { ok: false, error };
}

/** One text packet of v3: as in v4, except binary, which is `b4<base64>` (its type digit after `b`). */
export function decodeTextPacketV3(text: string): DecodeResult<EnginePacket> {
  if (text.charCodeAt(0) === 0x62 /* b */) {
    // Only a message carries binary.
    if (text.charCodeAt(1) !== 0x30 + MESSAGE) return fail('unknown packet type');
    return decodePacketPolling(`b${text.slice(2)}`);
  }
  if (text.length === 0) return fail('empty packet');
  return decodePacketPolling(text);
}

/** One packet as v3 text: binary as `b4<base64>`. */
export function encodeTextPacketV3(packet: EnginePacket): string {
  if (packet.type === 'message' && typeof packet.data !== 'string') return `b4${packet.data.toString('base64')}`;
  return encodePacketPolling(packet);
}

/**
 * A polling payload for a v3 client: text (`<length>:<packet>`...) unless the client takes binary
 * and a packet is binary, then an XHR2 binary payload.
 */
export function encodePollingPayloadV3(packets: readonly EnginePacket[], supportsBinary: boolean): string | Buffer {
  if (!supportsBinary || !packets.some((p) => p.type === 'message' && typeof p.data !== 'string')) {
    return encodePayloadV3(packets);
  }
  const parts: Buffer[] = [];
  for (const packet of packets) {
    const binary = packet.type === 'message' && typeof packet.data !== 'string';
    const body = binary
      ? Buffer.concat([Buffer.of(MESSAGE), packet.data as Buffer])
      : Buffer.from(encodePacketPolling(packet), 'utf8');
    const digits = String(body.length);
    const head = Buffer.allocUnsafe(digits.length + 2);
    head[0] = binary ? BINARY_MARK : TEXT_MARK;
    for (let i = 0; i < digits.length; i++) head[i + 1] = digits.charCodeAt(i) - 0x30;
    head[digits.length + 1] = LENGTH_END;
    parts.push(head, body);
  }
  return Buffer.concat(parts);
}

/** Decodes an XHR2 binary payload (a POST with `Content-Type: application/octet-stream`). */
export function decodeBinaryPayloadV3(payload: Buffer): DecodeResult<EnginePacket[]> {
  if (!Buffer.isBuffer(payload)) return fail('invalid input');
  if (payload.length === 0) return fail('empty packet');
  const packets: EnginePacket[] = [];
  let i = 0;
  while (i < payload.length) {
    const mark = payload[i]!;
    if (mark !== TEXT_MARK && mark !== BINARY_MARK) return fail('invalid payload length');
    let length = 0;
    let digits = 0;
    i++;
    while (i < payload.length && payload[i] !== LENGTH_END) {
      const digit = payload[i]!;
      if (digit > 9 || ++digits > MAX_LENGTH_DIGITS) return fail('invalid payload length');
      length = length * 10 + digit;
      i++;
    }
    // The end marker, then `length` bytes, must be there.
    if (digits === 0 || i >= payload.length || i + 1 + length > payload.length) return fail('invalid payload length');
    const body = payload.subarray(i + 1, i + 1 + length);
    i += 1 + length;
    const decoded = mark === TEXT_MARK ? decodeTextPacketV3(body.toString('utf8')) : decodeBinaryFrame(body);
    if (!decoded.ok) return decoded;
    packets.push(decoded.value);
  }
  return { ok: true, value: packets };
}

function decodeBinaryFrame(frame: Buffer): DecodeResult<EnginePacket> {
  const decoded = decodePacketWsV3(frame);
  // A copy: the packet outlives the request body it was cut from only as its own bytes.
  return decoded.ok && decoded.value.type === 'message' && typeof decoded.value.data !== 'string'
    ? { ok: true, value: { type: 'message', data: Buffer.from(decoded.value.data) } }
    : decoded;
}

/** Decodes a polling POST body of a v3 client: binary when sent as `application/octet-stream`. */
export function decodePollingBodyV3(body: Buffer, binary: boolean): DecodeResult<EnginePacket[]> {
  return binary ? decodeBinaryPayloadV3(body) : decodePayloadV3(body.toString('utf8'));
}

/**
 * One WebSocket frame for a v3 client: binary with its type byte first, or, for a client that asked
 * for base64, a `b4<base64>` text frame; text as in v4.
 */
export function encodeFrameV3(packet: EnginePacket, supportsBinary: boolean): string | Buffer {
  if (packet.type === 'message' && typeof packet.data !== 'string') {
    return supportsBinary ? Buffer.concat([Buffer.of(MESSAGE), packet.data]) : encodeTextPacketV3(packet);
  }
  return encodePacketPolling(packet);
}

/** Decodes one WebSocket frame of a v3 client: a binary frame's first byte is its type; text may be `b4<base64>`. */
export function decodeFrameV3(frame: string | Buffer): DecodeResult<EnginePacket> {
  if (typeof frame === 'string') return decodeTextPacketV3(frame);
  return decodePacketWsV3(frame);
}
