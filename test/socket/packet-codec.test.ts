import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  attachBinary,
  type DecodedHeader,
  decodePacket,
  encodePacket,
  hasBinary,
  type Packet,
  type Result,
} from '../../src/socket/packet.js';

/** The messages carrying `packet`, which must encode. */
function wire(packet: Packet): [string, ...Buffer[]] {
  const result = encodePacket(packet);
  assert.ok(result.ok, `expected the packet to encode: ${!result.ok && result.error.message}`);
  return result.value;
}

function decodeComplete(text: string): Packet {
  const result = decodePacket(text);
  assert.ok(result.ok, `expected ${JSON.stringify(text)} to decode: ${!result.ok && result.error.message}`);
  assert.ok(result.value.complete, 'expected a complete packet');
  return result.value.packet;
}

function roundTrip(packet: Packet): Packet {
  const [text, ...buffers] = wire(packet);
  const header = decodePacket(text);
  assert.ok(header.ok);
  if (header.value.complete) {
    assert.equal(buffers.length, 0);
    return header.value.packet;
  }
  assert.equal(header.value.attachments, buffers.length);
  const rebuilt = attachBinary(header.value.packet, buffers);
  assert.ok(rebuilt.ok);
  return rebuilt.value;
}

function errorCode(result: Result<DecodedHeader>): string {
  assert.equal(result.ok, false);
  return result.ok ? '' : result.error.code;
}

describe('socket.io codec encodes the spec examples exactly', () => {
  const cases: [Packet, string][] = [
    [{ type: 'connect', nsp: '/' }, '0'],
    [{ type: 'connect', nsp: '/admin', data: { sid: 'oSO0OpakMV_3jnilAAAA' } }, '0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}'],
    [{ type: 'connect_error', nsp: '/', data: { message: 'Not authorized' } }, '4{"message":"Not authorized"}'],
    [{ type: 'event', nsp: '/', data: ['foo'] }, '2["foo"]'],
    [{ type: 'event', nsp: '/admin', data: ['bar'] }, '2/admin,["bar"]'],
    [{ type: 'event', nsp: '/', data: ['foo'], id: 12 }, '212["foo"]'],
    [{ type: 'ack', nsp: '/admin', data: ['bar'], id: 13 }, '3/admin,13["bar"]'],
    [{ type: 'ack', nsp: '/', data: [], id: 12 }, '312[]'],
    [{ type: 'disconnect', nsp: '/admin' }, '1/admin,'],
    [{ type: 'disconnect', nsp: '/' }, '1'],
  ];
  for (const [packet, text] of cases) {
    test(`${packet.type} on ${packet.nsp} encodes as ${text}`, () => {
      assert.deepEqual(wire(packet), [text]);
    });
  }

  test('binary event puts placeholders in the JSON and the buffer after it', () => {
    const [text, ...buffers] = wire({ type: 'event', nsp: '/', data: ['baz', Buffer.from([1, 2, 3, 4])] });
    assert.equal(text, '51-["baz",{"_placeholder":true,"num":0}]');
    assert.deepEqual(buffers, [Buffer.from([1, 2, 3, 4])]);
  });

  test('binary ack in a namespace carries count, namespace and id', () => {
    const [text] = wire({ type: 'ack', nsp: '/admin', data: ['bar', new Uint8Array([1])], id: 15 });
    assert.equal(text, '61-/admin,15["bar",{"_placeholder":true,"num":0}]');
  });
});

describe('socket.io codec round-trips every packet type', () => {
  const packets: Packet[] = [
    { type: 'connect', nsp: '/' },
    { type: 'connect', nsp: '/x', data: { token: 'abc', n: 1 } },
    { type: 'disconnect', nsp: '/chat' },
    { type: 'event', nsp: '/', data: ['hello', { a: [1, 2, null] }, 'é€😀'] },
    { type: 'event', nsp: '/', data: ['with-ack'], id: 0 },
    { type: 'ack', nsp: '/n', data: [{ ok: true }], id: 987654 },
    { type: 'connect_error', nsp: '/', data: { message: 'nope', data: { reason: 'x' } } },
    { type: 'event', nsp: '/', data: ['bin', Buffer.from('a'), { nested: [Buffer.from('b')] }], id: 3 },
    { type: 'ack', nsp: '/', data: [Buffer.alloc(0)], id: 4 },
  ];
  for (const packet of packets) {
    test(`${packet.type} ${JSON.stringify(packet).slice(0, 60)}`, () => {
      assert.deepEqual(roundTrip(packet), packet);
    });
  }

  test('typed arrays and ArrayBuffers come back as Buffers with the same bytes', () => {
    const out = roundTrip({ type: 'event', nsp: '/', data: ['t', new Uint16Array([1, 2]), new ArrayBuffer(3)] });
    assert.equal(out.type, 'event');
    const data = (out as { data: unknown[] }).data;
    assert.deepEqual(data[1], Buffer.from(new Uint16Array([1, 2]).buffer));
    assert.deepEqual(data[2], Buffer.alloc(3));
  });

  test('hasBinary finds buffers deep inside and ignores objects with toJSON', () => {
    assert.equal(hasBinary({ a: [{ b: Buffer.from('x') }] }), true);
    assert.equal(hasBinary({ a: new Date() }), false);
    assert.equal(hasBinary(['x', 1, null]), false);
  });
});

describe('socket.io codec returns a typed error for malformed input and never throws', () => {
  const cases: [string, string][] = [
    ['', 'empty packet'],
    ['7', 'unknown packet type'],
    ['x["a"]', 'unknown packet type'],
    ['5["a",{"_placeholder":true,"num":0}]', 'invalid attachments count'],
    ['51["a"]', 'invalid attachments count'],
    ['511-["a"]', 'too many attachments'],
    ['50-["a"]', 'invalid attachments count'],
    ['60-1[]', 'invalid attachments count'],
    ['2["a"', 'invalid json'],
    ['2{"a":1}', 'invalid payload'],
    ['2[]', 'invalid payload'],
    ['2[1.5e3', 'invalid json'],
    ['2["connect"]', 'invalid payload'],
    ['2["disconnecting"]', 'invalid payload'],
    ['2[{"a":1}]', 'invalid payload'],
    ['3["a"]', 'invalid ack id'],
    ['31{"a":1}', 'invalid payload'],
    ['0"str"', 'invalid payload'],
    ['0[1]', 'invalid payload'],
    ['1{"a":1}', 'invalid payload'],
    ['4[1]', 'invalid payload'],
    ['412345678901234567890["a"]', 'invalid ack id'],
  ];
  for (const [input, code] of cases) {
    test(`${JSON.stringify(input)} is refused as ${code}`, () => {
      assert.equal(errorCode(decodePacket(input)), code);
    });
  }

  test('a missing attachment is refused when rebuilding', () => {
    const header = decodePacket('52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":5}]');
    assert.ok(header.ok && !header.value.complete);
    const rebuilt = attachBinary(header.value.packet, [Buffer.from('a'), Buffer.from('b')]);
    assert.equal(rebuilt.ok, false);
    assert.equal(!rebuilt.ok && rebuilt.error.code, 'missing attachments');
  });

  test('the attachment cap is configurable', () => {
    assert.equal(decodePacket('53-["a"]', { maxAttachments: 2 }).ok, false);
    assert.equal(decodePacket('52-["a"]', { maxAttachments: 2 }).ok, true);
  });

  test('a connect_error with a string payload decodes as its message', () => {
    assert.deepEqual(decodeComplete('4"boom"'), { type: 'connect_error', nsp: '/', data: { message: 'boom' } });
  });

  test('numeric event names are accepted as socket.io does', () => {
    assert.deepEqual(decodeComplete('2[1,"x"]'), { type: 'event', nsp: '/', data: [1, 'x'] });
  });
});
