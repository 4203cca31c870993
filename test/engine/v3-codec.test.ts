import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EnginePacket } from '../../src/engine/packet.js';
import {
  decodeBinaryPayloadV3,
  decodeFrameV3,
  decodePayloadV3,
  decodePollingBodyV3,
  decodeTextPacketV3,
  encodeFrameV3,
  encodePollingPayloadV3,
} from '../../src/engine/v3/codec.js';
import { seededRandom } from '../support/random.js';

const SAMPLES: EnginePacket[] = [
  { type: 'open', data: '{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}' },
  { type: 'close' },
  { type: 'ping' },
  { type: 'pong', data: 'probe' },
  { type: 'message', data: '2["ev","é€😀"]' },
  { type: 'message', data: Buffer.of(1, 2, 3, 255) },
  { type: 'message', data: Buffer.alloc(0) },
  { type: 'upgrade' },
  { type: 'noop' },
];

/** An XHR2 binary payload part, written out byte by byte as engine.io-parser 2 documents it. */
function part(mark: 0 | 1, body: Buffer): Buffer {
  const digits = [...String(body.length)].map(Number);
  return Buffer.concat([Buffer.of(mark, ...digits, 0xff), body]);
}

describe('Engine.IO v3 polling payloads, as the server writes them', () => {
  test('without binary, or for a client that asked for base64, the payload is text: <length>:<packet>, binary as b4<base64>', () => {
    assert.equal(encodePollingPayloadV3([{ type: 'message', data: '0' }, { type: 'pong' }], true), '2:401:3');
    assert.equal(encodePollingPayloadV3([{ type: 'message', data: Buffer.of(1, 2, 3) }], false), '6:b4AQID');
  });

  test('with binary, for a client that takes it, an XHR2 binary payload: text parts in UTF-8, binary parts with their type byte', () => {
    const payload = encodePollingPayloadV3(
      [
        { type: 'message', data: '51-["é",{"_placeholder":true,"num":0}]' },
        { type: 'message', data: Buffer.of(7, 8) },
      ],
      true,
    );
    const text = Buffer.from('451-["é",{"_placeholder":true,"num":0}]', 'utf8');
    assert.deepEqual(payload, Buffer.concat([part(0, text), part(1, Buffer.of(4, 7, 8))]));
  });

  test('every packet survives a round trip, in both payload kinds, alone and together', () => {
    for (const packet of SAMPLES) {
      for (const binary of [true, false]) {
        const payload = encodePollingPayloadV3([packet], binary);
        const decoded = typeof payload === 'string' ? decodePayloadV3(payload) : decodeBinaryPayloadV3(payload);
        assert.deepEqual(decoded, { ok: true, value: [packet] });
      }
    }
    const together = encodePollingPayloadV3(SAMPLES, true);
    assert.ok(Buffer.isBuffer(together));
    assert.deepEqual(decodeBinaryPayloadV3(together), { ok: true, value: SAMPLES });
    assert.deepEqual(decodePayloadV3(encodePollingPayloadV3(SAMPLES, false) as string), { ok: true, value: SAMPLES });
  });
});

describe('Engine.IO v3 polling bodies, as clients post them', () => {
  test('the content type picks the decoder', () => {
    const binary = Buffer.concat([part(0, Buffer.from('40')), part(1, Buffer.of(4, 9))]);
    assert.deepEqual(decodePollingBodyV3(binary, true), {
      ok: true,
      value: [
        { type: 'message', data: '0' },
        { type: 'message', data: Buffer.of(9) },
      ],
    });
    assert.deepEqual(decodePollingBodyV3(Buffer.from('2:40'), false), { ok: true, value: [{ type: 'message', data: '0' }] });
  });

  test('a bad binary payload is a clear error: bad mark, bad digit, no end marker, a length past the end, a huge length', () => {
    const cases: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['mark 2', Buffer.of(2, 1, 0xff, 0x34)],
      ['digit 10', Buffer.of(0, 10, 0xff, 0x34)],
      ['no digit', Buffer.of(0, 0xff)],
      ['no end marker', Buffer.of(0, 1, 2, 3)],
      ['length past the end', Buffer.of(0, 9, 0xff, 0x34)],
      ['huge length', Buffer.of(0, ...new Array<number>(400).fill(9), 0xff, 0x34)],
      ['a second part cut short', Buffer.concat([part(0, Buffer.from('40')), Buffer.of(1, 5)])],
    ];
    for (const [what, payload] of cases) {
      const decoded = decodeBinaryPayloadV3(payload);
      assert.equal(decoded.ok, false, what);
    }
    assert.deepEqual(decodeBinaryPayloadV3(Buffer.of(0, 9, 0xff, 0x34)), { ok: false, error: 'invalid payload length' });
  });

  test('a bad packet inside a good frame fails the payload: unknown type, a binary part that is not a message, bad base64', () => {
    assert.deepEqual(decodeBinaryPayloadV3(part(0, Buffer.from('9x'))), { ok: false, error: 'unknown packet type' });
    assert.deepEqual(decodeBinaryPayloadV3(part(1, Buffer.of(2, 1))), { ok: false, error: 'unknown packet type' });
    assert.deepEqual(decodeBinaryPayloadV3(part(1, Buffer.alloc(0))), { ok: false, error: 'empty packet' });
    assert.deepEqual(decodeBinaryPayloadV3(part(0, Buffer.from('b4A!'))), { ok: false, error: 'invalid base64' });
    assert.deepEqual(decodePayloadV3('5:b4A!=='), { ok: false, error: 'invalid base64' });
    assert.deepEqual(decodePayloadV3('99999999999999999999:4'), { ok: false, error: 'invalid payload length' });
    assert.deepEqual(decodePayloadV3('3:4a'), { ok: false, error: 'invalid payload length' });
  });

  test('random and mutated bodies never throw', () => {
    const next = seededRandom(0xe103);
    const good = encodePollingPayloadV3(SAMPLES, true) as Buffer;
    for (let i = 0; i < 2000; i++) {
      const bytes = i % 2 === 0 ? Buffer.from(good) : Buffer.alloc(Math.floor(next() * 40));
      if (i % 2 === 0) {
        for (let m = 0; m < 3; m++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      } else {
        for (let b = 0; b < bytes.length; b++) bytes[b] = next() < 0.3 ? Math.floor(next() * 11) : Math.floor(next() * 256);
      }
      for (const binary of [true, false]) {
        const decoded = decodePollingBodyV3(bytes, binary);
        assert.equal(typeof decoded.ok, 'boolean');
      }
    }
  });
});

describe('Engine.IO v3 WebSocket frames', () => {
  test('binary goes with its type byte, or as a b4<base64> text frame to a client that asked for base64', () => {
    assert.deepEqual(encodeFrameV3({ type: 'message', data: Buffer.of(7) }, true), Buffer.of(4, 7));
    assert.equal(encodeFrameV3({ type: 'message', data: Buffer.of(7) }, false), 'b4Bw==');
    assert.equal(encodeFrameV3({ type: 'message', data: '2["x"]' }, true), '42["x"]');
    assert.equal(encodeFrameV3({ type: 'pong', data: 'probe' }, true), '3probe');
  });

  test('every packet survives a round trip, with and without binary', () => {
    for (const packet of SAMPLES) {
      for (const binary of [true, false]) {
        assert.deepEqual(decodeFrameV3(encodeFrameV3(packet, binary)), { ok: true, value: packet });
      }
    }
  });

  test('a bad frame is a clear error', () => {
    assert.deepEqual(decodeFrameV3(Buffer.alloc(0)), { ok: false, error: 'empty packet' });
    assert.deepEqual(decodeFrameV3(Buffer.of(0, 1)), { ok: false, error: 'unknown packet type' });
    assert.deepEqual(decodeFrameV3(''), { ok: false, error: 'empty packet' });
    assert.deepEqual(decodeFrameV3('b2AA=='), { ok: false, error: 'unknown packet type' });
    assert.deepEqual(decodeFrameV3('b4%%%'), { ok: false, error: 'invalid base64' });
    assert.deepEqual(decodeTextPacketV3('b'), { ok: false, error: 'unknown packet type' });
  });
});
