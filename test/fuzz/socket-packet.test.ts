import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attachBinary, decodePacket, encodePacket, type Packet } from '../../src/socket/packet.js';
import { seededRandom } from '../support/random.js';

const ALPHABET = '0123456789-/,[]{}":_placeholdernum truefalse\\\u00e9\u{1F600}';

function randomString(next: () => number, max: number): string {
  const length = Math.floor(next() * max);
  let out = '';
  for (let i = 0; i < length; i++) out += [...ALPHABET][Math.floor(next() * [...ALPHABET].length)];
  return out;
}

function mutate(next: () => number, input: string): string {
  const chars = [...input];
  const edits = 1 + Math.floor(next() * 3);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (chars.length + 1));
    const choice = next();
    const ch = [...ALPHABET][Math.floor(next() * [...ALPHABET].length)] ?? 'x';
    if (choice < 0.33) chars.splice(at, 1);
    else if (choice < 0.66) chars.splice(at, 0, ch);
    else chars[at] = ch;
  }
  return chars.join('');
}

const SEEDS: Packet[] = [
  { type: 'connect', nsp: '/admin', data: { token: 'x' } },
  { type: 'event', nsp: '/', data: ['msg', { a: 1 }], id: 7 },
  { type: 'ack', nsp: '/n', data: ['ok'], id: 1 },
  { type: 'event', nsp: '/', data: ['bin', Buffer.from('x'), { y: Buffer.from('z') }] },
  { type: 'connect_error', nsp: '/', data: { message: 'no', data: 1 } },
  { type: 'disconnect', nsp: '/x' },
];

/** The text message carrying `packet`, which must encode. */
function encodedText(packet: Packet): string {
  const result = encodePacket(packet);
  assert.ok(result.ok);
  return result.value[0];
}

test('the decoder never throws on 20,000 random and mutated inputs (seed 1337)', () => {
  const next = seededRandom(1337);
  let decoded = 0;
  for (let i = 0; i < 20_000; i++) {
    const seed = SEEDS[i % SEEDS.length]!;
    const input = i % 2 === 0 ? randomString(next, 40) : mutate(next, encodedText(seed));
    const result = decodePacket(input);
    if (!result.ok) {
      assert.equal(typeof result.error.code, 'string');
      continue;
    }
    decoded++;
    if (!result.value.complete) {
      const buffers = Array.from({ length: result.value.attachments }, () => Buffer.from('b'));
      attachBinary(result.value.packet, next() < 0.5 ? buffers : buffers.slice(1));
    }
  }
  // Mutations keep some inputs valid: the run must exercise both paths.
  assert.ok(decoded > 100, `only ${decoded} inputs decoded`);
});

test('every decoded packet re-encodes to a string that decodes to the same packet', () => {
  const next = seededRandom(42);
  for (let i = 0; i < 5_000; i++) {
    const input = mutate(next, encodedText(SEEDS[i % SEEDS.length]!));
    const first = decodePacket(input);
    if (!first.ok || !first.value.complete) continue;
    const again = decodePacket(encodedText(first.value.packet));
    assert.ok(again.ok && again.value.complete, `re-encoding of ${JSON.stringify(input)} failed`);
    assert.deepEqual(again.value.packet, first.value.packet);
  }
});
