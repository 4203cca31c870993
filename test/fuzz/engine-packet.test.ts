import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodePacketPolling,
  decodePacketWs,
  decodePayload,
  type EnginePacket,
  encodePacketPolling,
  encodePacketWs,
  encodePayload,
} from '../../src/engine/packet.js';
import { seededRandom } from '../support/random.js';

const ALPHABET = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  'b',
  'x',
  '\x1e',
  '=',
  '/',
  '+',
  'é',
  '😀',
  '\0',
  ' ',
  'A',
];

function randomString(next: () => number, max: number): string {
  let s = '';
  const n = Math.floor(next() * max);
  for (let i = 0; i < n; i++) {
    s +=
      next() < 0.7
        ? ALPHABET[Math.floor(next() * ALPHABET.length)]!
        : String.fromCharCode(Math.floor(next() * 0xffff));
  }
  return s;
}

function randomPacket(next: () => number): EnginePacket {
  switch (Math.floor(next() * 7)) {
    case 0:
      return { type: 'open', data: randomString(next, 20).replaceAll('\x1e', '') };
    case 1:
      return { type: 'close' };
    case 2:
      return { type: 'ping', data: 'probe' };
    case 3:
      return { type: 'pong' };
    case 4:
      return next() < 0.5
        ? { type: 'message', data: randomString(next, 30).replaceAll('\x1e', '') || 'x' }
        : {
            type: 'message',
            data: Buffer.from(Array.from({ length: Math.floor(next() * 20) }, () => next() * 256)),
          };
    case 5:
      return { type: 'upgrade' };
    default:
      return { type: 'noop' };
  }
}

function mutate(next: () => number, input: string): string {
  const chars = [...input];
  const edits = 1 + Math.floor(next() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (chars.length + 1));
    const op = Math.floor(next() * 3);
    if (op === 0) chars.splice(at, 1);
    else if (op === 1) chars.splice(at, 0, ALPHABET[Math.floor(next() * ALPHABET.length)]!);
    else chars[at] = String.fromCharCode(Math.floor(next() * 256));
  }
  return chars.join('');
}

function assertResult(result: { ok: boolean }): void {
  assert.equal(typeof result.ok, 'boolean');
}

describe('engine packet decoders under fuzz', () => {
  test('random strings never make a decoder throw', () => {
    const next = seededRandom(0xe1ee);
    for (let i = 0; i < 20_000; i++) {
      const input = randomString(next, 40);
      assertResult(decodePacketWs(input));
      assertResult(decodePacketPolling(input));
      assertResult(decodePayload(input));
    }
  });

  test('random buffers and non-string inputs never make a decoder throw', () => {
    const next = seededRandom(42);
    const odd: unknown[] = [undefined, null, 0, {}, [], Symbol('s'), () => 1, new Uint8Array(3)];
    for (const value of odd) {
      assertResult(decodePacketWs(value as string));
      assertResult(decodePacketPolling(value as string));
      assertResult(decodePayload(value as string));
    }
    for (let i = 0; i < 2_000; i++) {
      const buf = Buffer.from(Array.from({ length: Math.floor(next() * 50) }, () => next() * 256));
      assert.deepEqual(decodePacketWs(buf), { ok: true, value: { type: 'message', data: buf } });
      assertResult(decodePayload(buf.toString('latin1')));
    }
  });

  test('valid payloads round-trip and their mutations never throw', () => {
    const next = seededRandom(7);
    for (let i = 0; i < 5_000; i++) {
      const list = Array.from({ length: 1 + Math.floor(next() * 5) }, () => randomPacket(next));
      const payload = encodePayload(list);
      const decoded = decodePayload(payload);
      assert.ok(decoded.ok, `payload ${JSON.stringify(payload)} decodes`);
      assert.equal(decoded.value.length, list.length);
      for (const packet of list) {
        assertResult(decodePacketWs(encodePacketWs(packet)));
        assertResult(decodePacketPolling(mutate(next, encodePacketPolling(packet))));
      }
      assertResult(decodePayload(mutate(next, payload)));
    }
  });
});
