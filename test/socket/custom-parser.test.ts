/**
 * The custom-parser seam: parley's packets as socket.io's parsers take them, what a parser's
 * decoder emits checked before it becomes a packet, and a connection's decoding reporting packets
 * and failures (a decoder that throws, one that emits something that is no packet, one that emits
 * later). socket.io-parser and socket.io-msgpack-parser type-check as the `parser` option.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import * as socketIoParser from 'socket.io-parser';
import type { Parser, ServerOptions } from '../../src/index.js';
import {
  type DecodingSink,
  fromParserPacket,
  ParserDecoding,
  parserFormat,
  toParserPacket,
} from '../../src/socket/custom-parser.js';
import type { DecodeError, Packet } from '../../src/socket/packet.js';
import { preparePacket } from '../../src/socket/packet.js';

const msgpack = createRequire(import.meta.url)('socket.io-msgpack-parser') as Parser;

// Both parsers type-check as the option (a compile-time check: tsc runs over the tests).
const withSocketIoParser: Partial<ServerOptions> = { parser: socketIoParser };
const withMsgpack: Partial<ServerOptions> = { parser: msgpack };
void withSocketIoParser;
void withMsgpack;

describe('parley packets as parsers take them', () => {
  test('each type gets socket.io-parser numbers, its namespace, data and id', () => {
    assert.deepEqual(toParserPacket({ type: 'connect', nsp: '/', data: { sid: 'x' } }), {
      type: 0,
      data: { sid: 'x' },
      nsp: '/',
    });
    assert.deepEqual(toParserPacket({ type: 'disconnect', nsp: '/a' }), { type: 1, nsp: '/a' });
    assert.deepEqual(toParserPacket({ type: 'event', nsp: '/', data: ['e', 1] }), { type: 2, data: ['e', 1], nsp: '/' });
    assert.deepEqual(toParserPacket({ type: 'event', nsp: '/', data: ['e'], id: 4 }), {
      type: 2,
      data: ['e'],
      nsp: '/',
      id: 4,
    });
    assert.deepEqual(toParserPacket({ type: 'ack', nsp: '/', data: [], id: 0 }), { type: 3, data: [], nsp: '/', id: 0 });
    assert.deepEqual(toParserPacket({ type: 'connect_error', nsp: '/', data: { message: 'no' } }), {
      type: 4,
      data: { message: 'no' },
      nsp: '/',
    });
  });

  test("a parser's format encodes with the parser's encoder: socket.io-parser writes the default wire format", () => {
    const format = parserFormat(socketIoParser);
    const prepared = preparePacket({ type: 'event', nsp: '/', data: ['e', Buffer.from([1])] });
    assert.ok(prepared.ok);
    const messages = format.encode(prepared.value).map((m) => m.data);
    assert.deepEqual(messages, ['51-["e",{"_placeholder":true,"num":0}]', Buffer.from([1])]);
  });
});

describe('what a decoder emits is checked', () => {
  const accepted: [string, unknown, Packet][] = [
    ['an event', { type: 2, nsp: '/', data: ['e', 1] }, { type: 'event', nsp: '/', data: ['e', 1] }],
    ['an event with an ack id', { type: 2, nsp: '/a', data: [3], id: 9 }, { type: 'event', nsp: '/a', data: [3], id: 9 }],
    ['a binary event type', { type: 5, nsp: '/', data: ['e'] }, { type: 'event', nsp: '/', data: ['e'] }],
    ['an ack', { type: 3, nsp: '/', data: [], id: 0 }, { type: 'ack', nsp: '/', data: [], id: 0 }],
    ['a CONNECT with auth', { type: 0, nsp: '/', data: { t: 1 } }, { type: 'connect', nsp: '/', data: { t: 1 } }],
    ['a CONNECT without namespace', { type: 0 }, { type: 'connect', nsp: '/' }],
    ['a DISCONNECT', { type: 1, nsp: '/b' }, { type: 'disconnect', nsp: '/b' }],
  ];
  for (const [name, raw, packet] of accepted) {
    test(`${name} becomes a packet`, () => {
      assert.deepEqual(fromParserPacket(raw), { ok: true, value: packet });
    });
  }

  const refused: [string, unknown, DecodeError['code']][] = [
    ['something that is not an object', 'text', 'invalid payload'],
    ['a namespace that is not a string', { type: 2, nsp: 3, data: ['e'] }, 'invalid payload'],
    ['an ack id that is not an integer', { type: 2, nsp: '/', data: ['e'], id: 1.5 }, 'invalid ack id'],
    ['an event without data', { type: 2, nsp: '/', data: [] }, 'invalid payload'],
    ['an event with a reserved name', { type: 2, nsp: '/', data: ['disconnect'] }, 'invalid payload'],
    ['an event named by an object', { type: 2, nsp: '/', data: [{}] }, 'invalid payload'],
    ['an ack without id', { type: 3, nsp: '/', data: [] }, 'invalid ack id'],
    ['a CONNECT with an array', { type: 0, nsp: '/', data: [1] }, 'invalid payload'],
    ['an unknown type', { type: 9, nsp: '/' }, 'unknown packet type'],
  ];
  for (const [name, raw, code] of refused) {
    test(`${name} is refused (${code})`, () => {
      const decoded = fromParserPacket(raw);
      assert.equal(decoded.ok ? 'accepted' : decoded.error.code, code);
    });
  }
});

/** A sink that records what a decoding reports. */
function recorder(): DecodingSink & { packets: Packet[]; errors: string[] } {
  const packets: Packet[] = [];
  const errors: string[] = [];
  return {
    packets,
    errors,
    onDecoded: (packet) => packets.push(packet),
    onDecodeError: (error) => errors.push(error.message),
  };
}

/** A parser whose decoder does what `add` says with the listener it was given. */
function parserWith(add: (chunk: string | Buffer, emit: (packet: unknown) => void) => void): Parser {
  return {
    Encoder: msgpack.Encoder,
    Decoder: class {
      private listener: (packet: never) => void = () => {};
      on(_event: 'decoded', listener: (packet: never) => void) {
        this.listener = listener;
        return this;
      }
      add(chunk: string | Buffer) {
        add(chunk, (packet) => this.listener(packet as never));
      }
      destroy() {}
    },
  };
}

describe("a connection's decoding", () => {
  test('socket.io-parser as a custom parser reassembles a binary event', () => {
    const sink = recorder();
    const decoding = new ParserDecoding(socketIoParser, sink);
    decoding.add('51-["e",{"_placeholder":true,"num":0}]');
    assert.deepEqual(sink.packets, []);
    decoding.add(Buffer.from([5]));
    assert.deepEqual(sink.packets, [{ type: 'event', nsp: '/', data: ['e', Buffer.from([5])] }]);
    assert.deepEqual(sink.errors, []);
  });

  test('a decoder that throws is a decode error with its message', () => {
    const sink = recorder();
    const decoding = new ParserDecoding(
      parserWith(() => {
        throw new Error('cannot read this');
      }),
      sink,
    );
    decoding.add('x');
    assert.deepEqual(sink.errors, ['cannot read this']);
    assert.deepEqual(sink.packets, []);
  });

  test('a decoder that emits something that is no packet is a decode error', () => {
    const sink = recorder();
    new ParserDecoding(
      parserWith((_chunk, emit) => emit(42)),
      sink,
    ).add('x');
    assert.equal(sink.errors.length, 1);
    assert.deepEqual(sink.packets, []);
  });

  test('a decoder that emits after add returned is heard when it emits', async () => {
    const sink = recorder();
    new ParserDecoding(
      parserWith((_chunk, emit) => setImmediate(() => emit({ type: 2, nsp: '/', data: ['late'] }))),
      sink,
    ).add('x');
    assert.deepEqual(sink.packets, []);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sink.packets, [{ type: 'event', nsp: '/', data: ['late'] }]);
  });
});
