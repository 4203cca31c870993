import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodePacketWsV3,
  decodePayloadV3,
  type EnginePacket,
  encodePacketWsV3,
  encodePayloadV3,
  isPayloadV3,
} from '../../src/engine/packet.js';

const SAMPLES: EnginePacket[] = [
  { type: 'open', data: '{"sid":"abc","upgrades":[],"pingInterval":1,"pingTimeout":2}' },
  { type: 'close' },
  { type: 'ping' },
  { type: 'pong', data: 'probe' },
  { type: 'message', data: 'hello' },
  { type: 'message', data: '' },
  { type: 'message', data: 'é€😀 unicode' },
  { type: 'message', data: Buffer.from([1, 2, 3, 4]) },
  { type: 'upgrade' },
  { type: 'noop' },
];

describe('engine packet codec, Engine.IO v3 framing', () => {
  test('a v3 payload prefixes each packet with its length in UTF-16 code units', () => {
    assert.equal(encodePayloadV3([{ type: 'message', data: 'hé' }, { type: 'ping' }]), '3:4hé1:2');
    // 😀 is two code units, as engine.io-parser 2 counts it.
    assert.equal(encodePayloadV3([{ type: 'message', data: '😀' }]), '3:4😀');
  });

  test('binary in a v3 payload is b4<base64>', () => {
    assert.equal(encodePayloadV3([{ type: 'message', data: Buffer.from([1, 2, 3]) }]), '6:b4AQID');
  });

  test('every packet survives a v3 payload round trip, alone and together', () => {
    for (const packet of SAMPLES) {
      assert.deepEqual(decodePayloadV3(encodePayloadV3([packet])), { ok: true, value: [packet] });
    }
    assert.deepEqual(decodePayloadV3(encodePayloadV3(SAMPLES)), { ok: true, value: SAMPLES });
  });

  test('what socket.io 2 answers a handshake with decodes: open, then the implicit connect of /', () => {
    const open = '0{"sid":"x","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}';
    const result = decodePayloadV3(`${open.length}:${open}2:40`);
    assert.deepEqual(result, {
      ok: true,
      value: [
        { type: 'open', data: open.slice(1) },
        { type: 'message', data: '0' },
      ],
    });
  });

  test('a bad length fails the whole payload', () => {
    for (const bad of ['4', ':4a', 'x:4a', '5:4ab', '2:4a9:', '1234567890123456:4']) {
      assert.deepEqual(decodePayloadV3(bad), { ok: false, error: 'invalid payload length' }, bad);
    }
    assert.deepEqual(decodePayloadV3(''), { ok: false, error: 'empty packet' });
    assert.deepEqual(decodePayloadV3('2:9x'), { ok: false, error: 'unknown packet type' });
    assert.deepEqual(decodePayloadV3('4:b2AA'), { ok: false, error: 'unknown packet type' });
    assert.deepEqual(decodePayloadV3('4:b4A!'), { ok: false, error: 'invalid base64' });
  });

  test('isPayloadV3 tells the v3 framing from v4', () => {
    assert.equal(isPayloadV3('96:0{"sid":"x"}'), true);
    assert.equal(isPayloadV3('0{"sid":"x"}'), false);
    assert.equal(isPayloadV3('4hello\x1e4world'), false);
  });

  test('a v3 binary WebSocket frame carries its type byte; text frames are as in v4', () => {
    const frame = encodePacketWsV3({ type: 'message', data: Buffer.from([7, 8]) });
    assert.deepEqual(frame, Buffer.from([4, 7, 8]));
    assert.equal(encodePacketWsV3({ type: 'ping', data: 'probe' }), '2probe');
    for (const packet of SAMPLES) {
      assert.deepEqual(decodePacketWsV3(encodePacketWsV3(packet)), { ok: true, value: packet });
    }
    assert.deepEqual(decodePacketWsV3(Buffer.from([2, 1])), { ok: false, error: 'unknown packet type' });
    assert.deepEqual(decodePacketWsV3(Buffer.alloc(0)), { ok: false, error: 'empty packet' });
  });
});
