/**
 * Custom parsers: the `parser` server option takes socket.io's parser interface (a module with an
 * `Encoder` and a `Decoder` class, as socket.io-parser and socket.io-msgpack-parser export), used by
 * every Socket.IO connection of the server instead of parley's own codec. Plain WebSocket clients
 * keep their JSON protocol.
 *
 * The parser's packets are socket.io-parser's objects (`{ type, nsp, data, id }`, numeric types);
 * here they are converted to and from parley's `Packet`, and what a decoder emits is checked before
 * it reaches a namespace, as a decoder is foreign code.
 */
import { OutboundMessage } from '../engine/index.js';
import type { WireFormat } from './adapter.js';
import { type ConnectErrorData, type DecodeError, type Packet, PacketType, RESERVED_EVENTS } from './packet.js';

/** A packet as socket.io's parsers take and give it. */
export interface ParserPacket {
  type: number;
  nsp: string;
  data?: unknown;
  id?: number;
}

/** The encoder of a parser: one per server, shared by every connection. */
export interface ParserEncoder {
  /** The Engine.IO messages (strings, binary) that carry a packet. */
  encode(packet: ParserPacket): unknown;
}

/** The decoder of a parser: one per connection; emits 'decoded' for each whole packet. */
export interface ParserDecoder {
  /** Takes one Engine.IO message; throws when it cannot be decoded. */
  add(chunk: string | Buffer): void;
  /** Frees what the decoder holds (a half-received binary packet). */
  destroy(): void;
  on(event: 'decoded', listener: (packet: ParserPacket) => void): unknown;
}

/** socket.io's parser interface: `parser: require('socket.io-msgpack-parser')`. */
export interface Parser {
  Encoder: new () => ParserEncoder;
  Decoder: new () => ParserDecoder;
}

function toBuffer(part: unknown): Buffer | undefined {
  if (Buffer.isBuffer(part)) return part;
  if (part instanceof ArrayBuffer) return Buffer.from(part);
  if (ArrayBuffer.isView(part)) return Buffer.from(part.buffer, part.byteOffset, part.byteLength);
  return undefined;
}

/** The messages an encoder returned: an array of strings and binary (one binary value is taken too). */
function messagesOf(output: unknown): OutboundMessage[] {
  const parts = Array.isArray(output) ? output : [output];
  return parts.map((part) => {
    if (typeof part === 'string') return new OutboundMessage(part);
    const buffer = toBuffer(part);
    if (buffer === undefined) throw new TypeError(`the parser's encoder returned ${typeof part}, not a string or binary`);
    return new OutboundMessage(buffer);
  });
}

/** parley's packet as socket.io hands it to a parser's encoder. */
export function toParserPacket(packet: Packet): ParserPacket {
  switch (packet.type) {
    case 'connect':
      return packet.data === undefined
        ? { type: PacketType.CONNECT, nsp: packet.nsp }
        : { type: PacketType.CONNECT, data: packet.data, nsp: packet.nsp };
    case 'disconnect':
      return { type: PacketType.DISCONNECT, nsp: packet.nsp };
    case 'event':
      return packet.id === undefined
        ? { type: PacketType.EVENT, data: packet.data, nsp: packet.nsp }
        : { type: PacketType.EVENT, data: packet.data, nsp: packet.nsp, id: packet.id };
    case 'ack':
      return { type: PacketType.ACK, data: packet.data, nsp: packet.nsp, id: packet.id };
    case 'connect_error':
      return { type: PacketType.CONNECT_ERROR, data: packet.data, nsp: packet.nsp };
  }
}

/**
 * The wire format of a parser: one encoder for the server, so a broadcast is encoded once for all
 * its Socket.IO recipients (EncodedPacket caches per format). An encoder that throws makes the
 * emit throw, as on socket.io.
 */
export function parserFormat(parser: Parser): WireFormat {
  const encoder = new parser.Encoder();
  return {
    name: 'custom parser',
    encode(prepared) {
      return messagesOf(encoder.encode(toParserPacket(prepared.packet)));
    },
  };
}

function invalid(message: string): { ok: false; error: DecodeError } {
  return { ok: false, error: { code: 'invalid payload', message } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isAckId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
}

/**
 * What a parser's decoder emitted, as parley's packet, or why it is not a packet parley takes: the
 * same rules as its own codec (event names are strings or numbers, not reserved; acks have an id).
 */
export function fromParserPacket(raw: unknown): { ok: true; value: Packet } | { ok: false; error: DecodeError } {
  if (!isPlainObject(raw)) return invalid('the parser decoded something that is not a packet');
  const { type, data, id } = raw;
  const nsp = raw.nsp === undefined ? '/' : raw.nsp;
  if (typeof nsp !== 'string') return invalid('the namespace of a decoded packet is not a string');
  if (id !== undefined && id !== null && !isAckId(id)) {
    return { ok: false, error: { code: 'invalid ack id', message: 'the ack id of a decoded packet is invalid' } };
  }
  const ackId = id === undefined || id === null ? undefined : id;
  switch (type) {
    case PacketType.CONNECT:
      if (data === undefined) return { ok: true, value: { type: 'connect', nsp } };
      if (!isPlainObject(data)) return invalid('CONNECT payload must be an object');
      return { ok: true, value: { type: 'connect', nsp, data } };
    case PacketType.DISCONNECT:
      return { ok: true, value: { type: 'disconnect', nsp } };
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT: {
      if (!Array.isArray(data) || data.length === 0) return invalid('EVENT payload must be a non-empty array');
      const name: unknown = data[0];
      if (!(typeof name === 'number' || (typeof name === 'string' && !RESERVED_EVENTS.has(name)))) {
        return invalid('EVENT name must be a string that is not reserved');
      }
      return {
        ok: true,
        value: ackId === undefined ? { type: 'event', nsp, data } : { type: 'event', nsp, data, id: ackId },
      };
    }
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      if (ackId === undefined) return { ok: false, error: { code: 'invalid ack id', message: 'ACK without an id' } };
      if (!Array.isArray(data)) return invalid('ACK payload must be an array');
      return { ok: true, value: { type: 'ack', nsp, data, id: ackId } };
    case PacketType.CONNECT_ERROR: {
      const message = isPlainObject(data) ? String(data.message) : String(data);
      const payload: ConnectErrorData = { message };
      return { ok: true, value: { type: 'connect_error', nsp, data: payload } };
    }
    default:
      return { ok: false, error: { code: 'unknown packet type', message: 'a decoded packet has an unknown type' } };
  }
}

/** What a connection's decoding reports to. */
export interface DecodingSink {
  /** A whole packet, checked. */
  onDecoded(packet: Packet): void;
  /** The decoder threw, or decoded something that is not a packet. */
  onDecodeError(error: DecodeError): void;
}

/**
 * One connection's decoder. Packets the decoder emits while it takes a message are handed on once
 * it returned, so that what throws is known to be the decoder; a decoder that emits later (on its
 * own schedule) is heard at once.
 */
export class ParserDecoding {
  private readonly decoder: ParserDecoder;
  /** The packets emitted by the `add` in progress, if one is. */
  private adding: unknown[] | undefined;

  constructor(
    parser: Parser,
    private readonly sink: DecodingSink,
  ) {
    this.decoder = new parser.Decoder();
    this.decoder.on('decoded', (packet) => {
      if (this.adding) this.adding.push(packet);
      else this.deliver([packet]);
    });
  }

  /** Takes one Engine.IO message. */
  add(chunk: string | Buffer): void {
    const decoded: unknown[] = [];
    this.adding = decoded;
    try {
      this.decoder.add(chunk);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.sink.onDecodeError({ code: 'invalid payload', message });
      return;
    } finally {
      this.adding = undefined;
    }
    this.deliver(decoded);
  }

  destroy(): void {
    try {
      this.decoder.destroy();
    } catch {
      // A decoder failing to clean up leaves nothing of ours behind.
    }
  }

  private deliver(raw: readonly unknown[]): void {
    for (const item of raw) {
      const packet = fromParserPacket(item);
      if (!packet.ok) {
        this.sink.onDecodeError(packet.error);
        return;
      }
      this.sink.onDecoded(packet.value);
    }
  }
}
