import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OutboundMessage } from '../../src/engine/message.js';
import {
  decodePacketPolling,
  decodePacketWs,
  decodePayload,
  type EnginePacket,
  encodePacketPolling,
  encodePacketWs,
  encodePayload,
} from '../../src/engine/packet.js';

const SAMPLES: EnginePacket[] = [
  { type: 'open', data: '{"sid":"abc","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3}' },
  { type: 'close' },
  { type: 'ping' },
  { type: 'ping', data: 'probe' },
  { type: 'pong' },
  { type: 'pong', data: 'probe' },
  { type: 'message', data: 'hello' },
  { type: 'message', data: '' },
  { type: 'message', data: 'é€😀 unicode' },
  { type: 'message', data: Buffer.from([1, 2, 3, 4]) },
  { type: 'message', data: Buffer.alloc(0) },
  { type: 'upgrade' },
  { type: 'noop' },
];

describe('engine packet codec', () => {
  test('every packet type round-trips through the websocket encoding', () => {
    for (const packet of SAMPLES) {
      const decoded = decodePacketWs(encodePacketWs(packet));
      assert.deepEqual(decoded, { ok: true, value: packet });
    }
  });

  test('every packet type round-trips through the polling encoding', () => {
    for (const packet of SAMPLES) {
      const decoded = decodePacketPolling(encodePacketPolling(packet));
      assert.deepEqual(decoded, { ok: true, value: packet });
    }
  });

  test('wire forms match the spec', () => {
    assert.equal(encodePacketWs({ type: 'message', data: 'hello' }), '4hello');
    assert.equal(encodePacketWs({ type: 'ping', data: 'probe' }), '2probe');
    assert.equal(encodePacketWs({ type: 'noop' }), '6');
    const buf = Buffer.from([1, 2, 3, 4]);
    assert.equal(encodePacketWs({ type: 'message', data: buf }), buf, 'binary travels as is');
    assert.equal(encodePacketPolling({ type: 'message', data: buf }), 'bAQIDBA==');
  });

  test('a payload joins packets with the record separator and splits back', () => {
    const list: EnginePacket[] = [
      { type: 'message', data: 'hello' },
      { type: 'ping' },
      { type: 'message', data: 'world' },
      { type: 'message', data: Buffer.from([1, 2, 3, 4]) },
    ];
    const payload = encodePayload(list);
    assert.equal(payload, '4hello\x1e2\x1e4world\x1ebAQIDBA==');
    assert.deepEqual(decodePayload(payload), { ok: true, value: list });
  });

  test('OutboundMessage caches the same encodings as the codec', () => {
    const text = new OutboundMessage('hi');
    assert.equal(text.pollingPacket, encodePacketPolling({ type: 'message', data: 'hi' }));
    assert.equal(text.websocketFrame, '4hi');
    const bin = new OutboundMessage(Buffer.from([9]));
    assert.equal(bin.pollingPacket, 'bCQ==');
    assert.equal(bin.websocketFrame, bin.data);
    assert.equal(bin.size, 1);
  });

  test('malformed input returns a typed error', () => {
    assert.deepEqual(decodePacketWs(''), { ok: false, error: 'empty packet' });
    assert.deepEqual(decodePacketWs('9x'), { ok: false, error: 'unknown packet type' });
    assert.deepEqual(decodePacketWs('x'), { ok: false, error: 'unknown packet type' });
    assert.deepEqual(decodePacketPolling('b!!!'), { ok: false, error: 'invalid base64' });
    assert.deepEqual(decodePacketPolling('bA'), { ok: false, error: 'invalid base64' });
    assert.deepEqual(decodePayload(''), { ok: false, error: 'empty packet' });
    assert.deepEqual(decodePayload('4a\x1e\x1e4b'), { ok: false, error: 'empty packet' });
    assert.deepEqual(decodePayload('4a\x1ez'), { ok: false, error: 'unknown packet type' });
    assert.deepEqual(decodePacketWs(42 as unknown as string), { ok: false, error: 'invalid input' });
    assert.deepEqual(decodePayload(null as unknown as string), { ok: false, error: 'invalid input' });
  });
});
