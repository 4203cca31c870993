import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AwaitedAcks } from '../../src/socket/acks.js';

describe('awaited acks', () => {
  test('an answer reaches the emit callback with its args; a second answer does nothing', () => {
    const acks = new AwaitedAcks();
    const calls: unknown[][] = [];
    acks.register(1, (...args) => calls.push(args), undefined);
    acks.answer(1, ['a', 2]);
    acks.answer(1, ['again']);
    assert.deepEqual(calls, [['a', 2]]);
  });

  test('with a timeout the callback gets the error first: null on an answer, the timeout error without', async () => {
    const acks = new AwaitedAcks();
    const answered: unknown[][] = [];
    acks.register(1, (...args) => answered.push(args), 1000);
    acks.answer(1, ['ok']);
    assert.deepEqual(answered, [[null, 'ok']]);
    const timedOut = await new Promise<unknown[]>((resolve) => acks.register(2, (...args) => resolve(args), 10));
    assert.equal(timedOut.length, 1);
    assert.ok(timedOut[0] instanceof Error);
    assert.equal((timedOut[0] as Error).message, 'operation has timed out');
    // Answered after its timeout: ignored.
    acks.answer(2, ['late']);
  });

  test('a broadcast ack is delivered as (null, args); a cancelled one is forgotten', () => {
    const acks = new AwaitedAcks();
    const seen: unknown[] = [];
    acks.expect(5, (err, args) => seen.push([err, args]));
    acks.expect(6, (err, args) => seen.push([err, args]));
    acks.cancel(6);
    acks.answer(5, ['x']);
    acks.answer(6, ['y']);
    assert.deepEqual(seen, [[null, ['x']]]);
  });

  test('on disconnection, callbacks waiting with a timeout get the error, the others are dropped', () => {
    const acks = new AwaitedAcks();
    const timed: unknown[][] = [];
    const untimed: unknown[][] = [];
    acks.register(1, (...args) => timed.push(args), 1000);
    acks.register(2, (...args) => untimed.push(args), undefined);
    acks.disconnected();
    assert.equal(timed.length, 1);
    assert.equal((timed[0]![0] as Error).message, 'socket has been disconnected');
    assert.deepEqual(untimed, []);
    // Nothing is left waiting.
    acks.answer(1, ['late']);
    acks.answer(2, ['late']);
    assert.equal(timed.length, 1);
    assert.deepEqual(untimed, []);
  });
});
