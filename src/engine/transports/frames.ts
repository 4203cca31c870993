import type { RawData, WebSocket } from 'ws';
import type { OutboundMessage } from '../message.js';
import type { WsInternals } from './ws-internals.js';

/**
 * Server WebSocket frames built by hand (RFC 6455 §5.2: unmasked, FIN set), once per message and
 * shared by every socket the message goes to, and written straight to the socket while ws itself
 * has nothing queued. Both WebSocket transports (Engine.IO's and the plain one) write this way.
 */

/** Up to this many bytes, the frames of one flush are joined into one buffer before writing. */
const CONCAT_LIMIT = 64 * 1024;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

/** Writes the header of an unmasked server frame, FIN set; returns its length. */
function writeHeader(out: Buffer, length: number, opcode: number): number {
  out[0] = 0x80 | opcode;
  if (length < 126) {
    out[1] = length;
    return 2;
  }
  if (length < 65536) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
    return 4;
  }
  out[1] = 127;
  out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  out.writeUInt32BE(length >>> 0, 6);
  return 10;
}

function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/** A complete frame in one Buffer: text is encoded straight into it (a text frame), binary copied once. */
export function frame(payload: string | Buffer): Buffer {
  const text = typeof payload === 'string';
  const length = text ? Buffer.byteLength(payload) : payload.length;
  const out = Buffer.allocUnsafe(headerLength(length) + length);
  const offset = writeHeader(out, length, text ? OPCODE_TEXT : OPCODE_BINARY);
  if (text) out.write(payload, offset, 'utf8');
  else payload.copy(out, offset);
  return out;
}

/** The Engine.IO frame of a message (`4<text>`, or the binary as is), built once. */
export function engineFrame(message: OutboundMessage): Buffer {
  let bytes = message.websocketBytes;
  if (bytes === undefined) {
    bytes = frame(message.websocketFrame);
    message.websocketBytes = bytes;
  }
  return bytes;
}

/** The raw frame of a message (its data as it is: plain WebSocket clients), built once. */
export function rawFrame(message: OutboundMessage): Buffer {
  // Binary data travels as is in both framings: one frame serves both.
  if (message.binary) return engineFrame(message);
  let bytes = message.rawWebsocketBytes;
  if (bytes === undefined) {
    bytes = frame(message.data);
    message.rawWebsocketBytes = bytes;
  }
  return bytes;
}

/**
 * The last list of items joined into one buffer, and that buffer. The connections one flush pass
 * reaches usually hold the same broadcasts in the same order (the very same queue entries): they
 * share the joined buffer instead of each joining its own copy. One per kind of item.
 */
export class JoinedFrames<T> {
  private items: readonly T[] = [];
  private bytes: Buffer = Buffer.alloc(0);

  constructor(private readonly frameOf: (item: T) => Buffer) {}

  /** Writes the frames of `items` to `socket` in one write (corked writes for big frames). */
  write(socket: WsInternals['_socket'], items: readonly T[]): void {
    if (items.length === 1) {
      socket.write(this.frameOf(items[0]!));
      return;
    }
    if (this.sameAsLast(items)) {
      socket.write(this.bytes);
      return;
    }
    const frames: Buffer[] = [];
    let total = 0;
    for (const item of items) {
      const bytes = this.frameOf(item);
      frames.push(bytes);
      total += bytes.length;
    }
    if (total <= CONCAT_LIMIT) {
      const bytes = Buffer.concat(frames, total);
      this.items = items;
      this.bytes = bytes;
      socket.write(bytes);
    } else {
      // Big frames are not copied again: one corked writev instead.
      socket.cork();
      for (const bytes of frames) socket.write(bytes);
      socket.uncork();
    }
  }

  private sameAsLast(items: readonly T[]): boolean {
    const last = this.items;
    if (last.length !== items.length || items.length === 0) return false;
    for (let i = 0; i < items.length; i++) if (last[i] !== items[i]) return false;
    return true;
  }
}

/**
 * The socket to write pre-built frames to, when they may go straight to it: ws has nothing queued
 * and no extension (compression) to apply, so hand-built frames never overtake ws's own. Undefined
 * when the caller must go through `ws.send`.
 */
function directSocket(ws: WebSocket): WsInternals['_socket'] | undefined {
  const internals = ws as unknown as WsInternals;
  return internals._sender._state === 0 &&
    internals._sender._queue.length === 0 &&
    internals._extensions['permessage-deflate'] === undefined
    ? internals._socket
    : undefined;
}

/**
 * Writes the items of one flush, in order, however the WebSocket can take them: with `fast` (ws's
 * internals are there, checked once per process) and nothing queued in ws, their hand-built frames
 * in one write; with `fast` but ws busy (compressing), through `sendThroughWs` in one corked write;
 * without `fast`, through `sendThroughWs` alone (ws's public API only).
 */
export function writeItems<T>(
  ws: WebSocket,
  items: readonly T[],
  fast: boolean,
  joined: JoinedFrames<T>,
  sendThroughWs: (ws: WebSocket, item: T) => void,
): void {
  if (!fast) {
    for (const item of items) sendThroughWs(ws, item);
    return;
  }
  const socket = directSocket(ws);
  if (socket !== undefined) {
    joined.write(socket, items);
    return;
  }
  const raw = (ws as unknown as WsInternals)._socket;
  raw.cork();
  for (const item of items) sendThroughWs(ws, item);
  raw.uncork();
}

/** The raw frames (plain WebSocket) of one flush. */
const rawJoined = new JoinedFrames<OutboundMessage>(rawFrame);

function sendRawThroughWs(ws: WebSocket, message: OutboundMessage): void {
  ws.send(message.data, { binary: message.binary, compress: false });
}

/** Writes messages as raw frames (their data as is: plain WebSocket clients), in order. */
export function writeRawMessages(ws: WebSocket, messages: readonly OutboundMessage[], fast: boolean): void {
  writeItems(ws, messages, fast, rawJoined, sendRawThroughWs);
}

/** A received message as one Buffer, whatever shape ws hands it in. */
export function bufferOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
