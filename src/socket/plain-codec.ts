/**
 * Pure codec of parley's plain-WebSocket protocol: JSON text frames, plus binary frames for binary
 * payloads. No I/O, never throws. Documented for client authors in docs/native-websocket.md.
 * `plainFormat` puts Socket.IO packets on this wire.
 *
 * Client → server
 *   {"event":"join","data":{"room":"dev"},"id":3}   an event (one argument; "args":[...] for several)
 *   {"ack":7,"data":"yes"}                          the answer to a server event that carried "id":7
 *   {"type":"text","content":"Hello"}               any other JSON value: the event "message" with it
 *   <binary frame>                                  the event "message" with the bytes
 *   an envelope with "attachments":N is followed by N binary frames, which replace the
 *   {"_placeholder":true,"num":i} values inside its data.
 *
 * Server → client: the same envelopes, plus {"event":"error","data":{"code","message"}} for a frame
 * that was refused (the connection stays open). With connection state recovery the welcome frame
 * carries a "pid" and each event that can be missed an "offset", for the client to reconnect with.
 */

import { OutboundMessage } from '../engine/index.js';
import type { WireFormat } from './adapter.js';
import { containsPlaceholder, encodeArgs, insertBinary, mayHoldPlaceholder } from './binary.js';
import type { EncodeResult } from './encode-error.js';
import { type PreparedPacket, RESERVED_EVENTS } from './packet.js';

/** A decoded client frame. */
export type PlainFrame =
  | { kind: 'event'; name: string; args: unknown[]; id?: number }
  | { kind: 'ack'; id: number; args: unknown[] };

/** A decoded envelope that still waits for binary frames. */
export interface PendingFrame {
  frame: PlainFrame;
  attachments: number;
}

/** Why a frame was refused. The code travels to the client in the error frame. */
export type PlainErrorCode =
  | 'invalid_json'
  | 'invalid_envelope'
  | 'reserved_event'
  | 'frame_too_large'
  | 'unexpected_binary'
  | 'too_many_attachments'
  | 'missing_attachments';

/** A refused frame: a code for programs, a message for people. */
export interface PlainError {
  code: PlainErrorCode;
  message: string;
}

/** The result of a decode. */
export type PlainResult<T> = { ok: true; value: T } | { ok: false; error: PlainError };

/** The event a bare JSON value or a bare binary frame becomes (the seed's client sends these). */
export const DEFAULT_EVENT = 'message';

function refuse(code: PlainErrorCode, message: string): { ok: false; error: PlainError } {
  return { ok: false, error: { code, message } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isAckId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The arguments an envelope carries: `args` when present, else `data` as the only one. */
function envelopeArgs(envelope: Record<string, unknown>): PlainResult<unknown[]> {
  if ('args' in envelope) {
    if (!Array.isArray(envelope.args)) return refuse('invalid_envelope', '"args" must be an array');
    return { ok: true, value: envelope.args };
  }
  return { ok: true, value: 'data' in envelope ? [envelope.data] : [] };
}

/**
 * Decodes a text frame. Returns either a complete frame, or one announcing binary attachments that
 * the caller collects and hands to `attachBinaryFrames`.
 */
export function decodeTextFrame(
  text: string,
  maxAttachments = 10,
): PlainResult<{ complete: true; frame: PlainFrame } | ({ complete: false } & PendingFrame)> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse('invalid_json', 'the frame is not valid JSON');
  }
  // A frame that announces no binary frames holds no placeholder.
  const complete = (frame: PlainFrame): PlainResult<{ complete: true; frame: PlainFrame }> =>
    mayHoldPlaceholder(text) && containsPlaceholder(frame.args)
      ? refuse('missing_attachments', 'a placeholder in a frame that announces no binary frames')
      : { ok: true, value: { complete: true, frame } };

  if (!isRecord(value) || (!('event' in value) && !('ack' in value))) {
    return complete({ kind: 'event', name: DEFAULT_EVENT, args: [value] });
  }

  const args = envelopeArgs(value);
  if (!args.ok) return args;

  let frame: PlainFrame;
  if ('ack' in value) {
    if (!isAckId(value.ack)) return refuse('invalid_envelope', '"ack" must be a non-negative integer');
    frame = { kind: 'ack', id: value.ack, args: args.value };
  } else {
    const name = value.event;
    if (typeof name !== 'string' || name.length === 0) {
      return refuse('invalid_envelope', '"event" must be a non-empty string');
    }
    if (RESERVED_EVENTS.has(name)) return refuse('reserved_event', `"${name}" is a reserved event name`);
    if ('id' in value && !isAckId(value.id))
      return refuse('invalid_envelope', '"id" must be a non-negative integer');
    frame = isAckId(value.id)
      ? { kind: 'event', name, args: args.value, id: value.id }
      : { kind: 'event', name, args: args.value };
  }

  if (!('attachments' in value)) return complete(frame);
  const count = value.attachments;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    return refuse('invalid_envelope', '"attachments" must be a non-negative integer');
  }
  if (count > maxAttachments) {
    return refuse('too_many_attachments', `${count} attachments exceed the limit of ${maxAttachments}`);
  }
  if (count === 0) return complete(frame);
  return { ok: true, value: { complete: false, frame, attachments: count } };
}

/** A binary frame that does not follow an envelope: the event "message" with the bytes. */
export function decodeBinaryFrame(data: Buffer): PlainFrame {
  return { kind: 'event', name: DEFAULT_EVENT, args: [data] };
}

/**
 * Replaces the placeholders of a pending frame with the binary frames that followed it. Refused
 * when a placeholder's num is not the index of one of them (missing_attachments), or one of them
 * is referred to by no placeholder (invalid_envelope: its "attachments" count is wrong).
 */
export function attachBinaryFrames(
  pending: PendingFrame,
  buffers: readonly Buffer[],
): PlainResult<PlainFrame> {
  const rebuilt = insertBinary(pending.frame.args, buffers);
  if (!rebuilt.ok)
    return refuse(rebuilt.unused ? 'invalid_envelope' : 'missing_attachments', rebuilt.message);
  return { ok: true, value: { ...pending.frame, args: rebuilt.value as unknown[] } };
}

/** A sole argument JSON leaves out of an object (it becomes null in an array). */
function omittedFromObject(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/**
 * The envelope after its first key (`head`, e.g. `{"event":"news"`), from the JSON text of an
 * array whose arguments (`count`, the first being `first`) start at `argsStart`: one argument
 * travels as "data", several (or none, in an ack) as "args"; then the ack id asked for and the
 * attachments.
 */
function envelope(
  head: string,
  json: string,
  argsStart: number,
  count: number,
  first: unknown,
  buffers: readonly Buffer[],
  isAck: boolean,
  id: number | undefined,
  offset?: string,
): [string, ...Buffer[]] {
  let text = head;
  if (count === 1) {
    if (!omittedFromObject(first)) text += `,"data":${json.slice(argsStart, -1)}`;
  } else if (count > 1) {
    text += `,"args":[${json.slice(argsStart)}`;
  } else if (isAck) {
    text += ',"args":[]';
  }
  if (id !== undefined) text += `,"id":${id}`;
  if (offset !== undefined) text += `,"offset":${JSON.stringify(offset)}`;
  if (buffers.length > 0) text += `,"attachments":${buffers.length}`;
  return [`${text}}`, ...buffers];
}

/**
 * Encodes a server frame: the JSON text frame, then one binary frame per binary value found in the
 * arguments. One argument travels as "data", several (or none) as "args". Fails for arguments
 * that cannot be encoded (circular, too deep, not JSON).
 */
export function encodeFrame(frame: PlainFrame): EncodeResult<[string, ...Buffer[]]> {
  const encoded = encodeArgs(frame.args);
  if (!encoded.ok) return encoded;
  const { json, buffers } = encoded.value;
  const { args } = frame;
  const value =
    frame.kind === 'event'
      ? envelope(
          `{"event":${JSON.stringify(frame.name)}`,
          json,
          1,
          args.length,
          args[0],
          buffers,
          false,
          frame.id,
        )
      : envelope(`{"ack":${frame.id}`, json, 1, args.length, args[0], buffers, true, undefined);
  return { ok: true, value };
}

/** The error frame answering a refused frame. */
export function encodeError(error: PlainError): string {
  return JSON.stringify({ event: 'error', data: { code: error.code, message: error.message } });
}

/** Socket.IO packets as plain-WebSocket frames: events and acks as JSON envelopes. */
export const plainFormat: WireFormat = {
  name: 'plain-websocket',
  encode(prepared: PreparedPacket) {
    return encodePlain(prepared).map((part) => new OutboundMessage(part));
  },
};

/**
 * The frames carrying a prepared packet to a plain client (its payload encoded once for every
 * format, see preparePacket); none for DISCONNECT (a close frame says it).
 */
export function encodePlain(prepared: PreparedPacket): [string, ...Buffer[]] | [] {
  const { packet, json, argsStart, buffers } = prepared;
  switch (packet.type) {
    case 'event': {
      const { data, offset } = packet;
      // Plain event names are strings: a numeric one (relayed from a Socket.IO client) becomes one;
      // any other (a Buffer, an object) has no envelope, and the event is not sent.
      if (typeof data[0] !== 'string' && typeof data[0] !== 'number') return [];
      const name =
        typeof data[0] === 'string' ? json!.slice(1, argsStart - 1) : JSON.stringify(String(data[0]));
      if (offset === undefined) {
        return envelope(`{"event":${name}`, json!, argsStart, data.length - 1, data[1], buffers, false, packet.id);
      }
      // A recovery offset is the array's last element (`,"<offset>"]`): it leaves the arguments for
      // an "offset" field of its own.
      const args = `${json!.slice(0, json!.length - JSON.stringify(offset).length - 2)}]`;
      return envelope(`{"event":${name}`, args, argsStart, data.length - 2, data[1], buffers, false, packet.id, offset);
    }
    case 'ack':
      return envelope(
        `{"ack":${packet.id}`,
        json!,
        argsStart,
        packet.data.length,
        packet.data[0],
        buffers,
        true,
        undefined,
      );
    case 'connect': {
      // Tells the client its socket id, as Socket.IO's CONNECT reply does, and with connection
      // state recovery the private session id to reconnect with.
      const pid = packet.data?.pid;
      return [JSON.stringify({ event: 'connect', data: pid === undefined ? { id: packet.data?.sid } : { id: packet.data?.sid, pid } })];
    }
    case 'connect_error':
      return [json === undefined ? '{"event":"connect_error"}' : `{"event":"connect_error","data":${json}}`];
    case 'disconnect':
      // The WebSocket close frame that follows says it.
      return [];
  }
}
