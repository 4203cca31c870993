/**
 * The connectTimeout queue on mocked timers and a fake monotonic clock: each subject times out
 * `timeoutMs` after it was added, in the order added; removed subjects and cleared queues never do.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { type ConnectDeadlineSubject, ConnectDeadlines } from '../../src/socket/connect-deadlines.js';
import { FakeClock } from '../support/fake-clock.js';

/** The fake clock behind performance.now(), advanced with the mocked timers. */
let clock = new FakeClock();

interface Probe extends ConnectDeadlineSubject {
  name: string;
  firedAt: number | undefined;
}

function probe(name: string, log: string[], addedAt: () => number): Probe {
  const p: Probe = {
    name,
    connectDue: 0,
    firedAt: undefined,
    connectTimedOut() {
      p.firedAt = performance.now() - addedAt();
      log.push(name);
    },
  };
  return p;
}

describe('connect deadlines', () => {
  beforeEach(() => {
    clock = new FakeClock(1000, { mockedTimers: true });
    mock.timers.enable({ apis: ['setTimeout'] });
    mock.method(performance, 'now', clock.now);
  });
  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
  });

  test('subjects time out in the order they were added, each after the timeout', () => {
    const deadlines = new ConnectDeadlines(30);
    const log: string[] = [];
    const start = performance.now();
    const a = probe('a', log, () => start);
    deadlines.add(a);
    clock.advance(10);
    const bStart = performance.now();
    const b = probe('b', log, () => bStart);
    deadlines.add(b);
    clock.advance(19);
    assert.deepEqual(log, [], 'nothing is due before the timeout');
    clock.advance(30);
    assert.deepEqual(log, ['a', 'b']);
    assert.ok(a.firedAt !== undefined && a.firedAt >= 30, `a fired after ${a.firedAt} ms`);
    assert.ok(b.firedAt !== undefined && b.firedAt >= 30, `b fired after ${b.firedAt} ms`);
    assert.equal(deadlines.size, 0);
  });

  test('a removed subject never times out, the others still do', () => {
    const deadlines = new ConnectDeadlines(15);
    const log: string[] = [];
    const start = performance.now();
    const subjects = ['a', 'b', 'c', 'd'].map((n) => probe(n, log, () => start));
    for (const s of subjects) deadlines.add(s);
    deadlines.remove(subjects[0]!);
    deadlines.remove(subjects[2]!);
    clock.advance(20);
    assert.deepEqual(log, ['b', 'd']);
    // More timer periods: nothing else fires.
    clock.advance(60);
    assert.deepEqual(log, ['b', 'd']);
  });

  test('clear stops the timer and forgets every subject', () => {
    const deadlines = new ConnectDeadlines(10);
    const log: string[] = [];
    const start = performance.now();
    deadlines.add(probe('a', log, () => start));
    deadlines.clear();
    clock.advance(40);
    assert.deepEqual(log, []);
    assert.equal(deadlines.size, 0);
    // Still usable afterwards.
    deadlines.add(probe('b', log, () => start));
    clock.advance(15);
    assert.deepEqual(log, ['b']);
  });

  test('a changed timeout applies to subjects added after it; each keeps the deadline it was added with', () => {
    const deadlines = new ConnectDeadlines(100);
    const log: string[] = [];
    const start = performance.now();
    const slow = probe('slow', log, () => start);
    deadlines.add(slow);
    clock.advance(10);
    deadlines.timeoutMs = 20;
    assert.equal(deadlines.timeoutMs, 20);
    const fastStart = performance.now();
    const fast = probe('fast', log, () => fastStart);
    deadlines.add(fast);
    // Due before the subject added first: the timer is moved up for it.
    clock.advance(21);
    assert.deepEqual(log, ['fast']);
    assert.ok(fast.firedAt !== undefined && fast.firedAt >= 20 && fast.firedAt < 30, `fast after ${fast.firedAt} ms`);
    // Back to a longer timeout: a subject added now is due after the first one.
    deadlines.timeoutMs = 200;
    const later = probe('later', log, () => performance.now());
    deadlines.add(later);
    assert.equal(deadlines.size, 2);
    clock.advance(70);
    assert.deepEqual(log, ['fast', 'slow']);
    assert.ok(slow.firedAt !== undefined && slow.firedAt >= 100, `slow after ${slow.firedAt} ms`);
    clock.advance(200);
    assert.deepEqual(log, ['fast', 'slow', 'later']);
    assert.equal(deadlines.size, 0);
  });
});

test('a timeout longer than setTimeout takes is waited for, not turned into a 1 ms timer', async () => {
  // Node fires a delay over 2^31 - 1 ms after 1 ms, with a TimeoutOverflowWarning: armed like that,
  // the queue would wake every millisecond for as long as a connection waits.
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => {
    if (warning.name === 'TimeoutOverflowWarning') warnings.push(warning.message);
  };
  process.on('warning', onWarning);
  const deadlines = new ConnectDeadlines(2 ** 32);
  const log: string[] = [];
  deadlines.add(probe('far', log, () => 0));
  try {
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(warnings, []);
    assert.deepEqual(log, []);
    assert.equal(deadlines.size, 1);
  } finally {
    deadlines.clear();
    process.off('warning', onWarning);
  }
});
