/**
 * Pure Socket.IO v5 codec. Strings and Buffers in, results out: no I/O, no emitters, never throws.
 *
 * Wire format: `<type>[<attachments>-][<nsp>,][<id>][<json>]`. Binary payloads travel as
 * BINARY_EVENT / BINARY_ACK whose JSON holds `{"_placeholder":true,"num":N}` in place of each
 * buffer; the buffers follow as separate Engine.IO messages. The decoder is stateless: it returns
 * how many attachments a header announced and `attachBinary` rebuilds the packet once they are in.
 */

import {
  containsPlaceholder,
  encodeArgs,
  encodeJson,
  hasBinary,
  insertBinary,
  mayHoldPlaceholder,
} from './binary.js';
import type { EncodeResult } from './encode-error.js';

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
  /**
   * `data[0]` is the event name. `offset`: connection state recovery put this offset last in
   * `data` (where Socket.IO clients read it); the plain format moves it to a field of its own.
   */
  | { type: 'event'; nsp: string; data: unknown[]; id?: number; offset?: string }
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
  /** A placeholder that is not the index of an attachment received, or in a packet without any. */
  | 'missing attachments'
  /** An attachment no placeholder refers to. */
  | 'unused attachments';

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
 * A packet with its payload already encoded, the same for every wire format: broadcasts prepare a
 * packet once, and each format only assembles (which cannot fail).
 */
export interface PreparedPacket {
  readonly packet: Packet;
  /**
   * JSON text of the payload: the data array of an event (name first) or ack, the data of a
   * CONNECT or CONNECT_ERROR; undefined when there is none.
   */
  readonly json: string | undefined;
  /**
   * Where the arguments start in `json`: past `[` and, for an event, its name and comma; 0 for an
   * event whose name is neither a string nor a number.
   */
  readonly argsStart: number;
  /** The binary attachments, in placeholder order. */
  readonly buffers: readonly Buffer[];
}

const NO_BUFFERS: readonly Buffer[] = Object.freeze([]);

/** Encodes a packet's payload, or says why it cannot be (circular, too deep, not JSON). */
export function preparePacket(packet: Packet): EncodeResult<PreparedPacket> {
  switch (packet.type) {
    case 'event': {
      const name = packet.data[0];
      const data = encodeArgs(packet.data);
      if (!data.ok) return data;
      const { json, buffers } = data.value;
      // A string or number name has the same text alone as in the array. Any other name (a Buffer,
      // an object) is sent as socket.io sends it, for whatever the peer makes of it; formats that
      // need the name's position (plain WebSocket) do not carry such packets.
      const argsStart = typeof name === 'string' || typeof name === 'number' ? JSON.stringify(name).length + 2 : 0;
      return { ok: true, value: { packet, json, argsStart, buffers } };
    }
    case 'ack': {
      const data = encodeArgs(packet.data);
      if (!data.ok) return data;
      return {
        ok: true,
        value: { packet, json: data.value.json, argsStart: 1, buffers: data.value.buffers },
      };
    }
    case 'connect':
    case 'connect_error': {
      const data = encodeJson(packet.data);
      if (!data.ok) return data;
      return { ok: true, value: { packet, json: data.value, argsStart: 0, buffers: NO_BUFFERS } };
    }
    case 'disconnect':
      return { ok: true, value: { packet, json: undefined, argsStart: 0, buffers: NO_BUFFERS } };
  }
}

/**
 * The Engine.IO messages carrying a prepared packet: one string, followed by one Buffer per binary
 * attachment (BINARY_EVENT / BINARY_ACK).
 */
export function assemblePacket(prepared: PreparedPacket): [string, ...Buffer[]] {
  const { packet, json, buffers } = prepared;
  const binary = buffers.length > 0;
  let out: string;
  if (packet.type === 'event') out = String(binary ? PacketType.BINARY_EVENT : PacketType.EVENT);
  else if (packet.type === 'ack') out = String(binary ? PacketType.BINARY_ACK : PacketType.ACK);
  else out = String(PacketType[packetTypeKey(packet.type)]);
  if (binary) out += `${buffers.length}-`;
  if (packet.nsp !== '/' && packet.nsp !== '') out += `${packet.nsp},`;
  if ((packet.type === 'event' || packet.type === 'ack') && packet.id !== undefined) out += packet.id;
  if (json !== undefined) out += json;
  return buffers.length === 0 ? [out] : [out, ...buffers];
}

/**
 * Encodes a packet into the Engine.IO messages that carry it: one string, followed by one Buffer
 * per binary attachment when the data holds binary. Fails for a payload that cannot be encoded.
 */
export function encodePacket(packet: Packet): EncodeResult<[string, ...Buffer[]]> {
  const prepared = preparePacket(packet);
  return prepared.ok ? { ok: true, value: assemblePacket(prepared.value) } : prepared;
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
      const message = 'Illegal attachments: a binary packet starts with its attachment count and a "-"';
      return fail('invalid attachments count', message);
    }
    attachments = Number(input.slice(start, i));
    i++;
    // As socket.io-parser: a binary packet announces at least one attachment.
    if (attachments < 1) {
      return fail('invalid attachments count', 'Illegal attachments: a binary packet announces at least one');
    }
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
      return withAttachments(packet, binary ? attachments : 0, input);
    }
    default: {
      // ACK and BINARY_ACK
      if (id === undefined) return fail('invalid ack id', 'ACK without an id');
      if (!Array.isArray(payload)) return fail('invalid payload', 'ACK payload must be an array');
      const packet: Packet & { type: 'ack' } = { type: 'ack', nsp, data: payload, id };
      return withAttachments(packet, binary ? attachments : 0, input);
    }
  }
}

function complete(packet: Packet): Result<DecodedHeader> {
  return { ok: true, value: { complete: true, packet } };
}

/**
 * An event or ack decoded from `input`: complete when it announces no attachments, and then it
 * must hold no placeholder.
 */
function withAttachments(
  packet: Packet & { type: 'event' | 'ack' },
  attachments: number,
  input: string,
): Result<DecodedHeader> {
  if (attachments > 0) return { ok: true, value: { complete: false, packet, attachments } };
  if (mayHoldPlaceholder(input) && containsPlaceholder(packet.data)) {
    return fail('missing attachments', 'a placeholder in a packet that announces no attachments');
  }
  return complete(packet);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Replaces every placeholder in a binary packet's data with its attachment. Fails when a
 * placeholder's num is not the index of an attachment received, or an attachment is left unused.
 */
export function attachBinary<P extends Packet & { type: 'event' | 'ack' }>(
  packet: P,
  attachments: readonly Buffer[],
): Result<P> {
  const rebuilt = insertBinary(packet.data, attachments);
  if (!rebuilt.ok)
    return fail(rebuilt.unused ? 'unused attachments' : 'missing attachments', rebuilt.message);
  return { ok: true, value: { ...packet, data: rebuilt.value as unknown[] } };
}
