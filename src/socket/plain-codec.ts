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
 * that was refused (the connection stays open).
 */

import { OutboundMessage } from '../engine/message.js';
import type { WireFormat } from './adapter.js';
import { extractBinary, insertBinary } from './binary.js';
import { type Packet, RESERVED_EVENTS } from './packet.js';

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
  const complete = (frame: PlainFrame) => ({ ok: true as const, value: { complete: true as const, frame } });

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

/** Replaces the placeholders of a pending frame with the binary frames that followed it. */
export function attachBinaryFrames(
  pending: PendingFrame,
  buffers: readonly Buffer[],
): PlainResult<PlainFrame> {
  const rebuilt = insertBinary(pending.frame.args, buffers);
  if (rebuilt === undefined) {
    return refuse('missing_attachments', 'a placeholder refers to a binary frame that was not sent');
  }
  return { ok: true, value: { ...pending.frame, args: rebuilt.value as unknown[] } };
}

/**
 * Encodes a server frame: the JSON text frame, then one binary frame per binary value found in the
 * arguments. One argument travels as "data", several (or none) as "args".
 */
export function encodeFrame(frame: PlainFrame): [string, ...Buffer[]] {
  const buffers: Buffer[] = [];
  const args = extractBinary(frame.args, buffers) as unknown[];
  const envelope: Record<string, unknown> =
    frame.kind === 'event' ? { event: frame.name } : { ack: frame.id };
  if (args.length === 1) envelope.data = args[0];
  else if (args.length > 1 || frame.kind === 'ack') envelope.args = args;
  if (frame.kind === 'event' && frame.id !== undefined) envelope.id = frame.id;
  if (buffers.length > 0) envelope.attachments = buffers.length;
  return [JSON.stringify(envelope), ...buffers];
}

/** The error frame answering a refused frame. */
export function encodeError(error: PlainError): string {
  return JSON.stringify({ event: 'error', data: { code: error.code, message: error.message } });
}

/** Socket.IO packets as plain-WebSocket frames: events and acks as JSON envelopes. */
export const plainFormat: WireFormat = {
  name: 'plain-websocket',
  encode(packet: Packet) {
    return encodePlain(packet).map((part) => new OutboundMessage(part));
  },
};

/** The frames carrying a packet to a plain client; none for DISCONNECT (a close frame says it). */
export function encodePlain(packet: Packet): [string, ...Buffer[]] | [] {
  switch (packet.type) {
    case 'event': {
      const [name, ...args] = packet.data;
      const frame: PlainFrame =
        packet.id === undefined
          ? { kind: 'event', name: String(name), args }
          : { kind: 'event', name: String(name), args, id: packet.id };
      return encodeFrame(frame);
    }
    case 'ack':
      return encodeFrame({ kind: 'ack', id: packet.id, args: packet.data });
    case 'connect':
      // Tells the client its socket id, as Socket.IO's CONNECT reply does.
      return [JSON.stringify({ event: 'connect', data: { id: packet.data?.sid } })];
    case 'connect_error':
      return [JSON.stringify({ event: 'connect_error', data: packet.data })];
    case 'disconnect':
      // The WebSocket close frame that follows says it.
      return [];
  }
}
