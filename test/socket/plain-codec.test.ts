/**
 * The plain-WebSocket codec on its own: every frame kind survives encode → decode, every refusal
 * carries its code, and the decoders never throw whatever a client sends (seeded fuzz).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  attachBinaryFrames,
  DEFAULT_EVENT,
  decodeBinaryFrame,
  decodeTextFrame,
  encodeError,
  encodeFrame,
  type PlainErrorCode,
  type PlainFrame,
} from '../../src/socket/plain-codec.js';
import { seededRandom } from '../support/random.js';

const ALL_CODES: readonly PlainErrorCode[] = [
  'invalid_json',
  'invalid_envelope',
  'reserved_event',
  'frame_too_large',
  'unexpected_binary',
  'too_many_attachments',
  'missing_attachments',
];

const RESERVED = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];

/** The frames carrying `frame`, which must encode. */
function encoded(frame: PlainFrame): [string, ...Buffer[]] {
  const result = encodeFrame(frame);
  assert.ok(result.ok, `expected the frame to encode: ${!result.ok && result.error.message}`);
  return result.value;
}

/** Decodes what `encodeFrame` produced, as the server would decode the same frames from a client. */
function roundTrip(frame: PlainFrame): PlainFrame {
  const [text, ...buffers] = encoded(frame);
  const decoded = decodeTextFrame(text);
  assert.ok(decoded.ok, `decoding ${text}`);
  if (decoded.value.complete) {
    assert.equal(buffers.length, 0);
    return decoded.value.frame;
  }
  assert.equal(decoded.value.attachments, buffers.length);
  const rebuilt = attachBinaryFrames(decoded.value, buffers);
  assert.ok(rebuilt.ok);
  return rebuilt.value;
}

/** Asserts `text` is refused with `code`, and a non-empty message. */
function assertRefused(text: string, code: PlainErrorCode, maxAttachments?: number): void {
  const result = decodeTextFrame(text, maxAttachments);
  assert.equal(result.ok, false, `${text} should be refused`);
  if (result.ok) return;
  assert.equal(result.error.code, code, text);
  assert.equal(typeof result.error.message, 'string');
  assert.ok(result.error.message.length > 0);
}

describe('round trips', () => {
  const frames: [string, PlainFrame][] = [
    ['an event with one argument', { kind: 'event', name: 'chat', args: [{ text: 'hi' }] }],
    ['an event without arguments', { kind: 'event', name: 'ping', args: [] }],
    ['an event with several arguments', { kind: 'event', name: 'move', args: [1, 'two', [3], { four: 4 }] }],
    ['an event with null and false', { kind: 'event', name: 'flags', args: [null, false, 0, ''] }],
    ['an event asking for an ack', { kind: 'event', name: 'join', args: [{ room: 'dev' }], id: 3 }],
    ['an event with ack id 0', { kind: 'event', name: 'join', args: ['dev'], id: 0 }],
    ['an ack with one argument', { kind: 'ack', id: 7, args: ['yes'] }],
    ['an ack without arguments', { kind: 'ack', id: 8, args: [] }],
    ['an ack with several arguments', { kind: 'ack', id: 9, args: [null, { ok: true }] }],
    ['a unicode event name and payload', { kind: 'event', name: 'émoji 🎉', args: ['日本語 \u0000 "q"'] }],
  ];
  for (const [name, frame] of frames) {
    test(`${name} survives encode → decode`, () => {
      assert.deepEqual(roundTrip(frame), frame);
    });
  }

  test('one argument travels as "data", several as "args", acks always carry "args" or "data"', () => {
    assert.deepEqual(JSON.parse(encoded({ kind: 'event', name: 'a', args: [1] })[0]), {
      event: 'a',
      data: 1,
    });
    assert.deepEqual(JSON.parse(encoded({ kind: 'event', name: 'a', args: [1, 2] })[0]), {
      event: 'a',
      args: [1, 2],
    });
    assert.deepEqual(JSON.parse(encoded({ kind: 'event', name: 'a', args: [] })[0]), { event: 'a' });
    assert.deepEqual(JSON.parse(encoded({ kind: 'event', name: 'a', args: [1], id: 4 })[0]), {
      event: 'a',
      data: 1,
      id: 4,
    });
    assert.deepEqual(JSON.parse(encoded({ kind: 'ack', id: 2, args: [] })[0]), { ack: 2, args: [] });
    assert.deepEqual(JSON.parse(encoded({ kind: 'ack', id: 2, args: ['x'] })[0]), { ack: 2, data: 'x' });
  });

  test('binary values become placeholders followed by binary frames, and come back', () => {
    const a = Buffer.from([1, 2, 3]);
    const b = new Uint8Array([4, 5]);
    const c = new Uint8Array([9, 9, 6, 7, 9]).subarray(2, 4);
    const frame: PlainFrame = {
      kind: 'event',
      name: 'files',
      args: [a, { nested: [b, { deep: c }] }],
      id: 1,
    };
    const [text, ...buffers] = encoded(frame);
    assert.deepEqual(JSON.parse(text), {
      event: 'files',
      args: [
        { _placeholder: true, num: 0 },
        { nested: [{ _placeholder: true, num: 1 }, { deep: { _placeholder: true, num: 2 } }] },
      ],
      id: 1,
      attachments: 3,
    });
    assert.deepEqual(buffers, [a, Buffer.from([4, 5]), Buffer.from([6, 7])]);
    const back = roundTrip(frame);
    assert.deepEqual(back, {
      kind: 'event',
      name: 'files',
      args: [a, { nested: [Buffer.from([4, 5]), { deep: Buffer.from([6, 7]) }] }],
      id: 1,
    });
  });

  test('an ArrayBuffer argument travels as a binary frame', () => {
    const bytes = new Uint8Array([0xde, 0xad]).buffer;
    const [text, buffer] = encoded({ kind: 'ack', id: 5, args: [bytes] });
    assert.deepEqual(JSON.parse(text), { ack: 5, data: { _placeholder: true, num: 0 }, attachments: 1 });
    assert.deepEqual(buffer, Buffer.from([0xde, 0xad]));
  });

  test('values with toJSON (dates) are left to JSON', () => {
    const when = new Date(Date.UTC(2024, 0, 2));
    const [text] = encoded({ kind: 'event', name: 'at', args: [{ when }] });
    assert.deepEqual(JSON.parse(text), { event: 'at', data: { when: when.toISOString() } });
  });
});

describe('client frames', () => {
  test('any JSON value that is not an envelope is the event "message" with that value', () => {
    assert.equal(DEFAULT_EVENT, 'message');
    const values = [{ type: 'text', content: 'Hello' }, 'plain text', 42, null, true, [1, 2], {}];
    for (const value of values) {
      const decoded = decodeTextFrame(JSON.stringify(value));
      assert.deepEqual(decoded, {
        ok: true,
        value: { complete: true, frame: { kind: 'event', name: 'message', args: [value] } },
      });
    }
  });

  test('an envelope without data carries no argument; "args" wins over "data"', () => {
    const bare = decodeTextFrame('{"event":"tick"}');
    assert.ok(bare.ok && bare.value.complete);
    assert.deepEqual(bare.value.frame, { kind: 'event', name: 'tick', args: [] });
    const both = decodeTextFrame('{"event":"tick","data":1,"args":[2,3]}');
    assert.ok(both.ok && both.value.complete);
    assert.deepEqual(both.value.frame, { kind: 'event', name: 'tick', args: [2, 3] });
    const nullData = decodeTextFrame('{"event":"tick","data":null}');
    assert.ok(nullData.ok && nullData.value.complete);
    assert.deepEqual(nullData.value.frame, { kind: 'event', name: 'tick', args: [null] });
  });

  test('"attachments":0 is a complete frame; "attachments":N waits for N binary frames', () => {
    const zero = decodeTextFrame('{"event":"x","data":1,"attachments":0}');
    assert.ok(zero.ok && zero.value.complete);
    const two = decodeTextFrame(
      '{"event":"x","args":[{"_placeholder":true,"num":1},"y",{"_placeholder":true,"num":0}],"attachments":2}',
    );
    assert.ok(two.ok && !two.value.complete);
    assert.equal(two.value.attachments, 2);
    const rebuilt = attachBinaryFrames(two.value, [Buffer.from('a'), Buffer.from('b')]);
    assert.deepEqual(rebuilt, {
      ok: true,
      value: { kind: 'event', name: 'x', args: [Buffer.from('b'), 'y', Buffer.from('a')] },
    });
  });

  test('a bare binary frame is the event "message" with the bytes', () => {
    const bytes = Buffer.from([0, 1, 255]);
    assert.deepEqual(decodeBinaryFrame(bytes), { kind: 'event', name: 'message', args: [bytes] });
  });
});

describe('refusals', () => {
  test('invalid_json: text that is not JSON', () => {
    for (const text of ['', '{', 'hello', '{"event":"x",}', "{'event':'x'}", 'undefined', '\u0000']) {
      assertRefused(text, 'invalid_json');
    }
  });

  test('invalid_envelope: wrong types in an envelope', () => {
    const bad = [
      '{"event":5}',
      '{"event":""}',
      '{"event":null}',
      '{"event":["a"]}',
      '{"ack":"x"}',
      '{"ack":-1}',
      '{"ack":1.5}',
      '{"ack":null}',
      '{"ack":1e300}',
      '{"event":"x","id":"3"}',
      '{"event":"x","id":-2}',
      '{"event":"x","id":null}',
      '{"event":"x","args":"nope"}',
      '{"event":"x","args":{"0":1}}',
      '{"ack":1,"args":5}',
      '{"event":"x","attachments":"1"}',
      '{"event":"x","attachments":-1}',
      '{"event":"x","attachments":1.5}',
    ];
    for (const text of bad) assertRefused(text, 'invalid_envelope');
  });

  test('reserved_event: the names the server API reserves', () => {
    for (const name of RESERVED) assertRefused(JSON.stringify({ event: name, data: 1 }), 'reserved_event');
    // "error" and "message" are ordinary names a client may send.
    for (const name of ['error', 'message', 'Connect']) {
      assert.ok(decodeTextFrame(JSON.stringify({ event: name })).ok, name);
    }
  });

  test('too_many_attachments: above the limit, which is configurable', () => {
    assertRefused('{"event":"x","attachments":11}', 'too_many_attachments');
    assert.ok(decodeTextFrame('{"event":"x","attachments":10}').ok);
    assertRefused('{"event":"x","attachments":3}', 'too_many_attachments', 2);
    assertRefused('{"event":"x","attachments":1}', 'too_many_attachments', 0);
  });

  test('missing_attachments: a placeholder pointing past the binary frames received', () => {
    const decoded = decodeTextFrame('{"event":"x","args":[{"_placeholder":true,"num":1}],"attachments":1}');
    assert.ok(decoded.ok && !decoded.value.complete);
    const rebuilt = attachBinaryFrames(decoded.value, [Buffer.from('only one')]);
    assert.equal(rebuilt.ok, false);
    if (!rebuilt.ok) assert.equal(rebuilt.error.code, 'missing_attachments');
    for (const num of [-1, 0.5, 1e9]) {
      const result = attachBinaryFrames(
        { frame: { kind: 'event', name: 'x', args: [{ _placeholder: true, num }] }, attachments: 1 },
        [Buffer.from('a')],
      );
      assert.equal(result.ok ? 'ok' : result.error.code, 'missing_attachments', `num ${num}`);
    }
  });

  test('every error code encodes as an "error" event frame', () => {
    for (const code of ALL_CODES) {
      const message = `about ${code} "quoted" ✓`;
      assert.deepEqual(JSON.parse(encodeError({ code, message })), {
        event: 'error',
        data: { code, message },
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// fuzz

function randomValue(rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return Math.floor(rand() * 40) - 5;
    case 3:
      return rand() * 1e6 - 5e5;
    case 4:
      return ['event', 'ack', 'connect', 'message', 'x', '', 'é', '_placeholder'][Math.floor(rand() * 8)];
    case 5:
      return { _placeholder: rand() < 0.8, num: Math.floor(rand() * 4) - 1 };
    case 6:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const keys = ['event', 'ack', 'id', 'data', 'args', 'attachments', 'num', '_placeholder', 'z'];
      const out: Record<string, unknown> = {};
      const n = Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) {
        out[keys[Math.floor(rand() * keys.length)] as string] = randomValue(rand, depth + 1);
      }
      return out;
    }
  }
}

function randomText(rand: () => number): string {
  const json = JSON.stringify(randomValue(rand, 0)) ?? 'null';
  const mode = rand();
  if (mode < 0.6) return json;
  if (mode < 0.8) return json.slice(0, Math.floor(rand() * json.length));
  // A few random characters spliced in.
  const chars = [...json];
  for (let i = 0; i < 3; i++) {
    chars.splice(
      Math.floor(rand() * (chars.length + 1)),
      0,
      String.fromCharCode(Math.floor(rand() * 0x3000)),
    );
  }
  return chars.join('');
}

test('fuzz: decoders never throw and always return a well-formed result', () => {
  const seed = 20240601;
  const rand = seededRandom(seed);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 5000; i++) {
    const text = randomText(rand);
    const maxAttachments = Math.floor(rand() * 12);
    let result: ReturnType<typeof decodeTextFrame>;
    try {
      result = decodeTextFrame(text, maxAttachments);
    } catch (err) {
      assert.fail(`decodeTextFrame threw on ${JSON.stringify(text)} (seed ${seed}, round ${i}): ${err}`);
    }
    if (!result.ok) {
      refused++;
      assert.ok(ALL_CODES.includes(result.error.code), result.error.code);
      assert.equal(typeof result.error.message, 'string');
      assert.doesNotThrow(() => JSON.parse(encodeError(result.error)));
      continue;
    }
    accepted++;
    const frame = result.value.frame;
    assert.ok(frame.kind === 'event' || frame.kind === 'ack');
    assert.ok(Array.isArray(frame.args));
    if (frame.kind === 'event') assert.ok(typeof frame.name === 'string' && frame.name.length > 0);
    if (!result.value.complete) {
      assert.ok(result.value.attachments > 0 && result.value.attachments <= maxAttachments);
      const buffers = Array.from({ length: Math.floor(rand() * 4) }, (_, n) => Buffer.from([n]));
      try {
        const rebuilt = attachBinaryFrames(result.value, buffers);
        // Placeholders that name no frame sent, or frames no placeholder names.
        if (!rebuilt.ok) assert.ok(['missing_attachments', 'invalid_envelope'].includes(rebuilt.error.code));
      } catch (err) {
        assert.fail(`attachBinaryFrames threw on ${text} (seed ${seed}, round ${i}): ${err}`);
      }
    }
    // Whatever was accepted can be sent back by the server.
    assert.ok(encodeFrame(frame).ok);
  }
  // The generator exercises both paths.
  assert.ok(accepted > 500 && refused > 500, `accepted ${accepted}, refused ${refused}`);
});

test('fuzz: random bytes as text never make the decoder throw', () => {
  const rand = seededRandom(7);
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(
      Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)),
    );
    assert.doesNotThrow(() => decodeTextFrame(bytes.toString('utf8')));
    assert.doesNotThrow(() => decodeBinaryFrame(bytes));
  }
});

test('deeply nested input is decoded without throwing', () => {
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  assert.doesNotThrow(() => decodeTextFrame(deep));
  const deepEnvelope = `{"event":"x","data":${'{"a":'.repeat(200)}{"_placeholder":true,"num":0}${'}'.repeat(200)},"attachments":1}`;
  const decoded = decodeTextFrame(deepEnvelope);
  if (!decoded.ok || decoded.value.complete) assert.fail('a pending frame was expected');
  const pending = decoded.value;
  assert.doesNotThrow(() => attachBinaryFrames(pending, [Buffer.from('a')]));
});
