/**
 * Pure Socket.IO v5 codec. Strings and Buffers in, results out: no I/O, no emitters, never throws.
 *
 * Wire format: `<type>[<attachments>-][<nsp>,][<id>][<json>]`. Binary payloads travel as
 * BINARY_EVENT / BINARY_ACK whose JSON holds `{"_placeholder":true,"num":N}` in place of each
 * buffer; the buffers follow as separate Engine.IO messages. The decoder is stateless: it returns
 * how many attachments a header announced and `attachBinary` rebuilds the packet once they are in.
 */

import { extractBinary, hasBinary, insertBinary } from './binary.js';

/** Numeric packet types on the wire. */
export const PacketType = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
} as const;

/** A Socket.IO packet, discriminated on `type`. Binary-ness is derived from the data at encode time. */
export type Packet =
  /** Client→server: optional auth object. Server→client: `{ sid }`. */
  | { type: 'connect'; nsp: string; data?: Record<string, unknown> }
  | { type: 'disconnect'; nsp: string }
  /** `data[0]` is the event name. */
  | { type: 'event'; nsp: string; data: unknown[]; id?: number }
  | { type: 'ack'; nsp: string; data: unknown[]; id: number }
  | { type: 'connect_error'; nsp: string; data: ConnectErrorData };

/** The payload of a CONNECT_ERROR packet. */
export interface ConnectErrorData {
  message: string;
  data?: unknown;
}

/** Why a packet failed to decode. */
export type DecodeErrorCode =
  | 'empty packet'
  | 'unknown packet type'
  | 'invalid attachments count'
  | 'too many attachments'
  | 'invalid namespace'
  | 'invalid ack id'
  | 'invalid json'
  | 'invalid payload'
  | 'unexpected binary'
  | 'missing attachments';

/** A decode failure with its reason. */
export interface DecodeError {
  code: DecodeErrorCode;
  message: string;
}

/** The outcome of a decode. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

/** A decoded header: either a complete packet or one waiting for `attachments` binary messages. */
export type DecodedHeader =
  | { complete: true; packet: Packet }
  | { complete: false; packet: Packet & { type: 'event' | 'ack' }; attachments: number };

export { hasBinary };

/** Events a peer may not emit because the server API reserves their names. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

const MAX_ACK_ID = Number.MAX_SAFE_INTEGER;

function fail(code: DecodeErrorCode, message: string): { ok: false; error: DecodeError } {
  return { ok: false, error: { code, message } };
}

/**
 * Encodes a packet into the Engine.IO messages that carry it: one string, followed by one Buffer
 * per binary attachment when the data holds binary.
 */
export function encodePacket(packet: Packet): [string, ...Buffer[]] {
  let typeNumber: number = PacketType[packetTypeKey(packet.type)];
  let data: unknown;
  let id: number | undefined;
  const buffers: Buffer[] = [];
  switch (packet.type) {
    case 'connect':
      data = packet.data;
      break;
    case 'disconnect':
      break;
    case 'connect_error':
      data = packet.data;
      break;
    case 'event':
    case 'ack':
      id = packet.id;
      if (hasBinary(packet.data)) {
        data = extractBinary(packet.data, buffers);
        typeNumber = packet.type === 'event' ? PacketType.BINARY_EVENT : PacketType.BINARY_ACK;
      } else {
        data = packet.data;
      }
      break;
  }
  let out = String(typeNumber);
  if (buffers.length > 0) out += `${buffers.length}-`;
  if (packet.nsp !== '/' && packet.nsp !== '') out += `${packet.nsp},`;
  if (id !== undefined) out += id;
  if (data !== undefined) out += JSON.stringify(data);
  return [out, ...buffers];
}

function packetTypeKey(type: Packet['type']): 'CONNECT' | 'DISCONNECT' | 'EVENT' | 'ACK' | 'CONNECT_ERROR' {
  switch (type) {
    case 'connect':
      return 'CONNECT';
    case 'disconnect':
      return 'DISCONNECT';
    case 'event':
      return 'EVENT';
    case 'ack':
      return 'ACK';
    case 'connect_error':
      return 'CONNECT_ERROR';
  }
}

/** Options of the decoder. */
export interface DecodeOptions {
  /** Most binary attachments one packet may announce. @default 10 */
  maxAttachments?: number;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Decodes the text part of a packet. Binary packets come back incomplete with their attachment count. */
export function decodePacket(input: string, options: DecodeOptions = {}): Result<DecodedHeader> {
  const maxAttachments = options.maxAttachments ?? 10;
  if (typeof input !== 'string' || input.length === 0) return fail('empty packet', 'empty packet');
  const typeNumber = input.charCodeAt(0) - 48;
  if (typeNumber < 0 || typeNumber > 6) return fail('unknown packet type', `unknown packet type ${input[0]}`);
  let i = 1;

  let attachments = 0;
  const binary = typeNumber === PacketType.BINARY_EVENT || typeNumber === PacketType.BINARY_ACK;
  if (binary) {
    const start = i;
    while (i < input.length && isDigit(input.charCodeAt(i))) i++;
    if (i === start || input[i] !== '-' || i - start > 6) {
      return fail('invalid attachments count', 'binary packet without a valid attachments count');
    }
    attachments = Number(input.slice(start, i));
    i++;
    if (attachments > maxAttachments) {
      return fail('too many attachments', `${attachments} attachments exceed the limit of ${maxAttachments}`);
    }
  }

  let nsp = '/';
  if (input[i] === '/') {
    const comma = input.indexOf(',', i);
    const end = comma === -1 ? input.length : comma;
    nsp = input.slice(i, end);
    i = comma === -1 ? end : end + 1;
  }

  let id: number | undefined;
  const idStart = i;
  while (i < input.length && isDigit(input.charCodeAt(i))) i++;
  if (i > idStart) {
    if (i - idStart > 16) return fail('invalid ack id', 'ack id too long');
    id = Number(input.slice(idStart, i));
    if (!Number.isSafeInteger(id) || id > MAX_ACK_ID) return fail('invalid ack id', 'ack id out of range');
  }

  let payload: unknown;
  if (i < input.length) {
    try {
      payload = JSON.parse(input.slice(i));
    } catch {
      return fail('invalid json', 'payload is not valid JSON');
    }
  }

  switch (typeNumber) {
    case PacketType.CONNECT:
      if (payload !== undefined && !isPlainObject(payload)) {
        return fail('invalid payload', 'CONNECT payload must be an object');
      }
      return complete({ type: 'connect', nsp, ...(payload === undefined ? {} : { data: payload }) });
    case PacketType.DISCONNECT:
      if (payload !== undefined) return fail('invalid payload', 'DISCONNECT carries no payload');
      return complete({ type: 'disconnect', nsp });
    case PacketType.CONNECT_ERROR: {
      if (typeof payload === 'string')
        return complete({ type: 'connect_error', nsp, data: { message: payload } });
      if (!isPlainObject(payload) || typeof payload.message !== 'string') {
        return fail('invalid payload', 'CONNECT_ERROR payload must be an object with a message');
      }
      const data: ConnectErrorData = { message: payload.message };
      if (payload.data !== undefined) data.data = payload.data;
      return complete({ type: 'connect_error', nsp, data });
    }
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT: {
      if (!Array.isArray(payload) || payload.length === 0) {
        return fail('invalid payload', 'EVENT payload must be a non-empty array');
      }
      const name = payload[0];
      if (!(typeof name === 'number' || (typeof name === 'string' && !RESERVED_EVENTS.has(name)))) {
        return fail('invalid payload', 'EVENT name must be a string that is not reserved');
      }
      const packet: Packet & { type: 'event' } =
        id === undefined ? { type: 'event', nsp, data: payload } : { type: 'event', nsp, data: payload, id };
      return binary ? incomplete(packet, attachments) : complete(packet);
    }
    default: {
      // ACK and BINARY_ACK
      if (id === undefined) return fail('invalid ack id', 'ACK without an id');
      if (!Array.isArray(payload)) return fail('invalid payload', 'ACK payload must be an array');
      const packet: Packet & { type: 'ack' } = { type: 'ack', nsp, data: payload, id };
      return binary ? incomplete(packet, attachments) : complete(packet);
    }
  }
}

function complete(packet: Packet): Result<DecodedHeader> {
  return { ok: true, value: { complete: true, packet } };
}

function incomplete(packet: Packet & { type: 'event' | 'ack' }, attachments: number): Result<DecodedHeader> {
  if (attachments === 0) return complete(packet);
  return { ok: true, value: { complete: false, packet, attachments } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Replaces every placeholder in a binary packet's data with its attachment. Fails when a
 * placeholder points past the attachments received.
 */
export function attachBinary<P extends Packet & { type: 'event' | 'ack' }>(
  packet: P,
  attachments: readonly Buffer[],
): Result<P> {
  const rebuilt = insertBinary(packet.data, attachments);
  if (rebuilt === undefined)
    return fail('missing attachments', 'a placeholder refers to a missing attachment');
  return { ok: true, value: { ...packet, data: rebuilt.value as unknown[] } };
}
