/**
 * Server WebSocket frames built by hand: the header as RFC 6455 §5.2 writes it, each message framed
 * once whoever it goes to, and one joined buffer shared by the sockets of a flush pass that hold the
 * same messages.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OutboundMessage } from '../../src/engine/message.js';
import { engineFrame, frame, JoinedFrames, rawFrame } from '../../src/engine/transports/frames.js';

/** A writable that records what is written to it. */
function recorder() {
  const writes: Buffer[] = [];
  const socket = {
    write(chunk: Buffer) {
      writes.push(chunk);
      return true;
    },
    cork() {},
    uncork() {},
  };
  return { writes, socket: socket as unknown as Parameters<JoinedFrames<OutboundMessage>['write']>[0] };
}

describe('websocket frames', () => {
  test('headers: FIN and opcode, then 7-bit, 16-bit or 64-bit lengths', () => {
    assert.deepEqual([...frame('hi').subarray(0, 2)], [0x81, 2]);
    assert.deepEqual([...frame(Buffer.from([1, 2, 3])).subarray(0, 2)], [0x82, 3]);
    const medium = frame('x'.repeat(300));
    assert.deepEqual([...medium.subarray(0, 4)], [0x81, 126, 1, 44]);
    assert.equal(medium.length, 4 + 300);
    const large = frame(Buffer.alloc(70_000));
    assert.deepEqual([...large.subarray(0, 2)], [0x82, 127]);
    assert.equal(large.readUInt32BE(6), 70_000);
    assert.equal(frame('é').subarray(2).toString('utf8'), 'é');
    assert.equal(frame('é')[1], 2, 'the length counts UTF-8 bytes');
  });

  test('a message is framed once per framing; binary frames serve both framings', () => {
    const text = new OutboundMessage('hello');
    assert.equal(engineFrame(text).subarray(2).toString(), '4hello');
    assert.equal(rawFrame(text).subarray(2).toString(), 'hello');
    assert.equal(engineFrame(text), engineFrame(text), 'cached');
    assert.equal(rawFrame(text), rawFrame(text), 'cached');
    const binary = new OutboundMessage(Buffer.from([9, 9]));
    assert.equal(rawFrame(binary), engineFrame(binary));
  });

  test('sockets of one pass holding the same messages share one joined buffer', () => {
    const joined = new JoinedFrames<OutboundMessage>(rawFrame);
    const messages = [new OutboundMessage('a'), new OutboundMessage('b')];
    const one = recorder();
    const two = recorder();
    joined.write(one.socket, messages);
    joined.write(two.socket, [...messages]);
    assert.equal(one.writes.length, 1);
    assert.equal(two.writes[0], one.writes[0], 'the same Buffer object');
    assert.deepEqual(one.writes[0], Buffer.concat([rawFrame(messages[0]!), rawFrame(messages[1]!)]));
    const other = recorder();
    joined.write(other.socket, [messages[1]!, messages[0]!]);
    assert.notEqual(other.writes[0], one.writes[0], 'another order is joined anew');
  });

  test('a lone frame is written as it is; big flushes are written frame by frame', () => {
    const joined = new JoinedFrames<OutboundMessage>(rawFrame);
    const lone = new OutboundMessage('x');
    const r = recorder();
    joined.write(r.socket, [lone]);
    assert.equal(r.writes[0], rawFrame(lone));
    const big = [new OutboundMessage('y'.repeat(40_000)), new OutboundMessage('z'.repeat(40_000))];
    const s = recorder();
    joined.write(s.socket, big);
    assert.deepEqual(s.writes, big.map(rawFrame));
  });
});
