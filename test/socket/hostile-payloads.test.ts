/**
 * Hostile payloads inside valid packets, at the codecs (Socket.IO and plain WebSocket): an own
 * `__proto__` key survives decoding and encoding as an own key without touching any prototype;
 * a placeholder must name an attachment that arrived, and every attachment must be named; payloads
 * of any depth decode, and one that cannot be encoded (too deep, circular, not JSON) is a failure
 * value, never a throw.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  containsPlaceholder,
  encodeArgs,
  hasBinary,
  insertBinary,
  MAX_ENCODE_DEPTH,
} from '../../src/socket/binary.js';
import {
  attachBinary,
  decodePacket,
  encodePacket,
  type Packet,
  preparePacket,
} from '../../src/socket/packet.js';
import {
  attachBinaryFrames,
  decodeTextFrame,
  encodeFrame,
  encodePlain,
  type PlainFrame,
} from '../../src/socket/plain-codec.js';
import { arrayDepth, deepArrayJson } from './support.js';

const PLACEHOLDER_0 = '{"_placeholder":true,"num":0}';

/** A binary Socket.IO packet decoded and rebuilt with `buffers`. */
function decodeBinaryPacket(text: string, buffers: Buffer[]) {
  const header = decodePacket(text);
  assert.ok(header.ok, `header of ${text}`);
  assert.ok(!header.value.complete, 'a packet waiting for attachments');
  assert.equal(header.value.attachments, buffers.length);
  return attachBinary(header.value.packet, buffers);
}

/** A plain envelope decoded and rebuilt with `buffers`. */
function decodePlainWithBinary(text: string, buffers: Buffer[]) {
  const decoded = decodeTextFrame(text);
  assert.ok(decoded.ok, `envelope ${text}`);
  assert.ok(!decoded.value.complete, 'an envelope waiting for binary frames');
  return attachBinaryFrames(decoded.value, buffers);
}

function assertOwnProtoKey(value: unknown, expected: unknown): void {
  assert.ok(value !== null && typeof value === 'object');
  assert.equal(Object.getPrototypeOf(value), Object.prototype, 'the usual prototype');
  assert.deepEqual(Object.keys(value), ['__proto__']);
  const own = Object.getOwnPropertyDescriptor(value, '__proto__');
  assert.ok(own && 'value' in own && own.enumerable && own.writable, 'an own data property');
  assert.deepEqual(own.value, expected);
}

describe('prototype keys', () => {
  test('Socket.IO: an own __proto__ holding a placeholder becomes an own key holding the Buffer', () => {
    const bytes = Buffer.from('payload');
    const rebuilt = decodeBinaryPacket(`51-["message",{"__proto__":${PLACEHOLDER_0}}]`, [bytes]);
    assert.ok(rebuilt.ok);
    const arg = rebuilt.value.data[1] as Record<string, unknown>;
    assertOwnProtoKey(arg, bytes);
    assert.equal(Buffer.isBuffer(Object.getPrototypeOf(arg)), false);
    assert.equal(typeof arg.readUInt8, 'undefined', 'no Buffer method is inherited');
  });

  test('plain: an own __proto__ next to a placeholder stays an own key; nothing is inherited', () => {
    const rebuilt = decodePlainWithBinary(
      `{"event":"join","data":{"__proto__":{"room":"x"},"file":${PLACEHOLDER_0}},"attachments":1}`,
      [Buffer.from('f')],
    );
    assert.ok(rebuilt.ok);
    const data = rebuilt.value.args[0] as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.deepEqual(Object.keys(data), ['__proto__', 'file']);
    assert.equal(data.room, undefined, 'room is not inherited');
    assert.deepEqual(Object.getOwnPropertyDescriptor(data, '__proto__')?.value, { room: 'x' });
    assert.equal(
      Object.getPrototypeOf(Object.getOwnPropertyDescriptor(data, '__proto__')?.value),
      Object.prototype,
    );
  });

  test('rebuilt objects have exactly the own keys that arrived, in order, at every depth', () => {
    const text = `{"z":1,"__proto__":{"__proto__":[${PLACEHOLDER_0},{"constructor":2}]},"a":{"toString":3}}`;
    const bytes = Buffer.from('b');
    const rebuilt = insertBinary(JSON.parse(text), [bytes]);
    assert.ok(rebuilt.ok);
    const value = rebuilt.value as Record<string, unknown>;
    assert.deepEqual(Object.keys(value), ['z', '__proto__', 'a']);
    const outer = Object.getOwnPropertyDescriptor(value, '__proto__')?.value as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(outer), Object.prototype);
    const inner = Object.getOwnPropertyDescriptor(outer, '__proto__')?.value;
    assert.deepEqual(inner, [bytes, { constructor: 2 }]);
    assert.equal(Object.getPrototypeOf(inner), Array.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(value.a, 'toString')?.value, 3);
  });

  test('hasBinary sees a Buffer under an own __proto__ key', () => {
    const value = JSON.parse('{"__proto__":null}') as Record<string, unknown>;
    Object.defineProperty(value, '__proto__', { value: Buffer.from('x'), enumerable: true });
    assert.equal(hasBinary(value), true);
    assert.equal(hasBinary([{ a: value }]), true);
  });

  test('encoding keeps an own __proto__ key: an echo sends {"__proto__": <binary>} back unchanged', () => {
    const bytes = Buffer.from('payload');
    const received = decodeBinaryPacket(`51-["message",{"__proto__":${PLACEHOLDER_0}}]`, [bytes]);
    assert.ok(received.ok);
    const echoed = encodePacket({ type: 'event', nsp: '/', data: received.value.data });
    assert.ok(echoed.ok);
    assert.deepEqual(echoed.value, [`51-["message",{"__proto__":${PLACEHOLDER_0}}]`, bytes]);
    // The same for a plain client, and for a __proto__ without binary.
    const plain = encodeFrame({ kind: 'event', name: 'message', args: received.value.data.slice(1) });
    assert.ok(plain.ok);
    assert.deepEqual(plain.value, [
      `{"event":"message","data":{"__proto__":${PLACEHOLDER_0}},"attachments":1}`,
      bytes,
    ]);
    const text = encodePacket({ type: 'event', nsp: '/', data: ['m', JSON.parse('{"__proto__":{"a":1}}')] });
    assert.ok(text.ok);
    assert.deepEqual(text.value, ['2["m",{"__proto__":{"a":1}}]']);
  });
});

describe('placeholders', () => {
  const badNums = ['"0"', '5', '1', '-1', '0.5', 'null', 'true', '{}', '[0]', '1e400'];

  for (const num of badNums) {
    test(`Socket.IO: a placeholder with num ${num} is refused`, () => {
      const rebuilt = decodeBinaryPacket(`51-["m",{"_placeholder":true,"num":${num}}]`, [Buffer.from('a')]);
      assert.equal(rebuilt.ok ? 'accepted' : rebuilt.error.code, 'missing attachments');
    });

    test(`plain: a placeholder with num ${num} is refused with missing_attachments`, () => {
      const rebuilt = decodePlainWithBinary(
        `{"event":"m","data":{"_placeholder":true,"num":${num}},"attachments":1}`,
        [Buffer.from('a')],
      );
      assert.equal(rebuilt.ok ? 'accepted' : rebuilt.error.code, 'missing_attachments');
    });
  }

  test('a placeholder without num is a placeholder too, and refused', () => {
    const rebuilt = decodeBinaryPacket('51-["m",{"_placeholder":true}]', [Buffer.from('a')]);
    assert.equal(rebuilt.ok ? 'accepted' : rebuilt.error.code, 'missing attachments');
    // `_placeholder` other than true is ordinary data (socket.io-parser's rule).
    const plainData = decodePacket('2["m",{"_placeholder":"yes","num":0},{"_placeholder":false}]');
    assert.ok(plainData.ok && plainData.value.complete);
  });

  test('Socket.IO: a placeholder in a packet that announces no attachments is refused', () => {
    for (const text of [
      `2["m",${PLACEHOLDER_0}]`,
      `2["m",{"deep":[[${PLACEHOLDER_0}]]}]`,
      `3/admin,7[${PLACEHOLDER_0}]`,
      `2["m",${deepArrayJson(5000, PLACEHOLDER_0)}]`,
      // The key spelled with JSON escapes is the same key.
      '2["m",{"\\u005fplace\\u0068older":true,"num":0}]',
    ]) {
      const decoded = decodePacket(text);
      assert.equal(decoded.ok ? 'accepted' : decoded.error.code, 'missing attachments', text.slice(0, 40));
    }
    // A binary packet announcing no attachment is refused before its payload is read (socket.io-parser's rule).
    for (const text of [`50-["m",${PLACEHOLDER_0}]`, `60-1[${PLACEHOLDER_0}]`]) {
      const decoded = decodePacket(text);
      assert.equal(decoded.ok ? 'accepted' : decoded.error.code, 'invalid attachments count', text);
    }
  });

  test('plain: a placeholder in a frame that announces no binary frames is refused', () => {
    for (const text of [
      `{"event":"m","data":${PLACEHOLDER_0}}`,
      `{"event":"m","args":[1,{"x":${PLACEHOLDER_0}}],"attachments":0}`,
      `{"ack":3,"data":${PLACEHOLDER_0}}`,
      PLACEHOLDER_0,
      `{"type":"text","content":[${PLACEHOLDER_0}]}`,
      `{"event":"m","data":${deepArrayJson(5000, PLACEHOLDER_0)}}`,
      '{"event":"m","data":{"_pl\\u0061ceholder":true,"num":0}}',
    ]) {
      const decoded = decodeTextFrame(text);
      assert.equal(decoded.ok ? 'accepted' : decoded.error.code, 'missing_attachments', text.slice(0, 40));
    }
  });

  test('every attachment must be referred to: an unused one refuses the packet', () => {
    const socketIo = decodeBinaryPacket(`52-["m",${PLACEHOLDER_0}]`, [Buffer.from('a'), Buffer.from('b')]);
    assert.equal(socketIo.ok ? 'accepted' : socketIo.error.code, 'unused attachments');
    const none = decodeBinaryPacket('51-["m",{"__proto__":{"room":"x"}}]', [Buffer.from('a')]);
    assert.equal(none.ok ? 'accepted' : none.error.code, 'unused attachments');
    const plain = decodePlainWithBinary(
      '{"event":"join","data":{"__proto__":{"room":"x"}},"attachments":1}',
      [Buffer.from('a')],
    );
    assert.equal(plain.ok ? 'accepted' : plain.error.code, 'invalid_envelope');
  });

  test('placeholders at the top of the arguments, nested in arrays and objects, and repeated', () => {
    const [a, b, c] = [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')];
    const text = `63-/n,9[{"_placeholder":true,"num":2},[[{"_placeholder":true,"num":0}]],{"x":{"y":{"_placeholder":true,"num":1}}},{"_placeholder":true,"num":0}]`;
    const rebuilt = decodeBinaryPacket(text, [a, b, c]);
    assert.ok(rebuilt.ok);
    assert.deepEqual(rebuilt.value, { type: 'ack', nsp: '/n', id: 9, data: [c, [[a]], { x: { y: b } }, a] });
    const plain = decodePlainWithBinary(
      `{"ack":1,"args":[{"_placeholder":true,"num":1},[{"k":${PLACEHOLDER_0}}]],"attachments":2}`,
      [a, b],
    );
    assert.deepEqual(plain, { ok: true, value: { kind: 'ack', id: 1, args: [b, [{ k: a }]] } });
  });

  test('the attachments count the header declares must match those received', () => {
    const header = decodePacket(`52-["m",${PLACEHOLDER_0},{"_placeholder":true,"num":1}]`);
    assert.ok(header.ok && !header.value.complete);
    assert.equal(header.value.attachments, 2);
    const short = attachBinary(header.value.packet, [Buffer.from('a')]);
    assert.equal(short.ok ? 'accepted' : short.error.code, 'missing attachments');
    const plainHeader = decodeTextFrame(`{"event":"m","data":${PLACEHOLDER_0},"attachments":2}`);
    assert.ok(plainHeader.ok && !plainHeader.value.complete);
    assert.equal(plainHeader.value.attachments, 2);
  });
});

describe('depth', () => {
  test('a 5,000-deep payload decodes intact on both codecs, without a placeholder search overflowing', () => {
    const socketIo = decodePacket(`2["deep",${deepArrayJson(5000)}]`);
    assert.ok(socketIo.ok && socketIo.value.complete);
    assert.equal(arrayDepth((socketIo.value.packet as { data: unknown[] }).data[1]), 5000);
    const plain = decodeTextFrame(`{"event":"deep","data":${deepArrayJson(5000)}}`);
    assert.ok(plain.ok && plain.value.complete);
    assert.equal(arrayDepth(plain.value.frame.args[0]), 5000);
    assert.equal(containsPlaceholder(JSON.parse(deepArrayJson(100_000))), false);
  });

  test('a placeholder 5,000 levels deep is put in place, and one in a deep branch is checked', () => {
    const bytes = Buffer.from('deep');
    const rebuilt = decodeBinaryPacket(`51-["deep",${deepArrayJson(5000, PLACEHOLDER_0)}]`, [bytes]);
    assert.ok(rebuilt.ok);
    let current: unknown = rebuilt.value.data[1];
    for (let i = 0; i < 5000; i++) current = (current as unknown[])[0];
    assert.equal(current, bytes);
    const wrong = decodeBinaryPacket(
      `51-["deep",${PLACEHOLDER_0},${deepArrayJson(3000, '{"_placeholder":true,"num":"0"}')}]`,
      [bytes],
    );
    assert.equal(wrong.ok ? 'accepted' : wrong.error.code, 'missing attachments');
  });

  test('binary nested hundreds of levels deep still travels as an attachment', () => {
    let value: unknown = Buffer.from('bottom');
    for (let i = 0; i < 500; i++) value = { down: value };
    const encoded = encodeArgs([value]);
    assert.ok(encoded.ok);
    assert.equal(encoded.value.buffers.length, 1);
    assert.ok(encoded.value.json.endsWith(`${PLACEHOLDER_0}${'}'.repeat(500)}]`));
  });
});

describe('unencodable payloads are failures, not throws', () => {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  circular.again = [circular];
  const sharedButFinite = { leaf: 1 };
  const cases: [string, unknown, string][] = [
    ['5,000 levels deep', JSON.parse(deepArrayJson(5000)), 'too deeply nested'],
    [
      `${MAX_ENCODE_DEPTH + 1} levels deep`,
      JSON.parse(deepArrayJson(MAX_ENCODE_DEPTH + 1)),
      'too deeply nested',
    ],
    ['circular', circular, 'circular reference'],
    ['circular with binary', { buffer: Buffer.from('x'), circular }, 'circular reference'],
    ['a BigInt', { n: 10n }, 'not serializable'],
    [
      'a throwing toJSON',
      {
        toJSON() {
          throw new Error('nope');
        },
      },
      'not serializable',
    ],
  ];
  for (const [name, value, code] of cases) {
    test(`${name}: ${code}, on both codecs`, () => {
      const socketIo = encodePacket({ type: 'event', nsp: '/', data: ['e', value] });
      assert.equal(socketIo.ok ? 'encoded' : socketIo.error.code, code);
      const ack = encodePacket({ type: 'ack', nsp: '/', data: [value], id: 1 });
      assert.equal(ack.ok ? 'encoded' : ack.error.code, code);
      const plain = encodeFrame({ kind: 'event', name: 'e', args: [value] });
      assert.equal(plain.ok ? 'encoded' : plain.error.code, code);
      if (!plain.ok) {
        assert.ok(plain.error.message.length > 0 && !plain.error.message.includes('\n'));
      }
    });
  }

  test('the deepest encodable payload encodes, and shared (not circular) values are fine', () => {
    const deepest = encodeArgs([JSON.parse(deepArrayJson(MAX_ENCODE_DEPTH))]);
    assert.ok(deepest.ok);
    const shared = encodeArgs([{ a: sharedButFinite, b: [sharedButFinite] }]);
    assert.deepEqual(shared, {
      ok: true,
      value: { json: '[{"a":{"leaf":1},"b":[{"leaf":1}]}]', buffers: [] },
    });
  });

  test('an object referring to itself twice per level fails at once instead of walking 2^depth paths', () => {
    const branching: Record<string, unknown> = {};
    branching.left = branching;
    branching.right = branching;
    const encoded = encodeArgs([branching]);
    assert.equal(encoded.ok ? 'encoded' : encoded.error.code, 'circular reference');
  });
});

describe('one encoding of the arguments serves both wire formats', () => {
  const P0 = PLACEHOLDER_0;
  const P1 = '{"_placeholder":true,"num":1}';
  // Each packet with the text parley wrote before the arguments were encoded once for both formats.
  const cases: [Packet & { type: 'event' | 'ack' }, string, string][] = [
    [{ type: 'event', nsp: '/', data: ['none'] }, '2["none"]', '{"event":"none"}'],
    [
      { type: 'event', nsp: '/', data: ['one', { a: 1 }] },
      '2["one",{"a":1}]',
      '{"event":"one","data":{"a":1}}',
    ],
    [
      { type: 'event', nsp: '/x', data: ['several', 1, 'two', [3], null], id: 4 },
      '2/x,4["several",1,"two",[3],null]',
      '{"event":"several","args":[1,"two",[3],null],"id":4}',
    ],
    [
      { type: 'event', nsp: '/', data: ['undefined', undefined] },
      '2["undefined",null]',
      '{"event":"undefined"}',
    ],
    [
      { type: 'event', nsp: '/', data: [7, 'numeric name'] },
      '2[7,"numeric name"]',
      '{"event":"7","data":"numeric name"}',
    ],
    [
      { type: 'event', nsp: '/', data: ['bin', Buffer.from('x'), { y: [Buffer.from('z')] }], id: 0 },
      `52-0["bin",${P0},{"y":[${P1}]}]`,
      `{"event":"bin","args":[${P0},{"y":[${P1}]}],"id":0,"attachments":2}`,
    ],
    [{ type: 'ack', nsp: '/', data: [], id: 1 }, '31[]', '{"ack":1,"args":[]}'],
    [{ type: 'ack', nsp: '/', data: ['yes'], id: 2 }, '32["yes"]', '{"ack":2,"data":"yes"}'],
    [{ type: 'ack', nsp: '/', data: [undefined], id: 3 }, '33[null]', '{"ack":3}'],
    [
      { type: 'ack', nsp: '/a', data: [Buffer.from('b'), 2], id: 4 },
      `61-/a,4[${P0},2]`,
      `{"ack":4,"args":[${P0},2],"attachments":1}`,
    ],
  ];
  for (const [packet, socketIoText, plainText] of cases) {
    test(`${packet.type} ${socketIoText}: the same text as before on both formats`, () => {
      const prepared = preparePacket(packet);
      assert.ok(prepared.ok);
      const socketIo = encodePacket(packet);
      assert.ok(socketIo.ok);
      assert.equal(socketIo.value[0], socketIoText);
      const plain = encodePlain(prepared.value);
      assert.equal(plain[0], plainText);
      assert.deepEqual(plain.slice(1), socketIo.value.slice(1), 'the same attachments');
      if (packet.type === 'ack' || typeof packet.data[0] === 'string') {
        const frame: PlainFrame =
          packet.type === 'ack'
            ? { kind: 'ack', id: packet.id, args: packet.data }
            : { kind: 'event', name: packet.data[0] as string, args: packet.data.slice(1), id: packet.id };
        if (frame.kind === 'event' && frame.id === undefined) delete frame.id;
        assert.deepEqual(encodeFrame(frame), { ok: true, value: plain });
      }
    });
  }
});
