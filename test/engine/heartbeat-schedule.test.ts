/**
 * The shared heartbeat's schedule, on mocked timers and a fake clock: pings exactly pingInterval
 * after the start or the last pong, timeouts exactly pingTimeout after the ping was due, engine.io's
 * one extension of a pong deadline by other traffic, and one timer for any number of sessions.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { Heartbeat, type HeartbeatSubject, HeartbeatState } from '../../src/engine/heartbeat.js';
import { FakeClock } from '../support/fake-clock.js';

/** The fake clock, advanced with the mocked timers one millisecond at a time. */
let clock = new FakeClock();

class Subject implements HeartbeatSubject {
  heartbeatDue = -1;
  heartbeatState: HeartbeatState = HeartbeatState.Out;
  readonly pings: number[] = [];
  timedOutAt: number | undefined;

  sendPing(): void {
    this.pings.push(clock.now());
  }

  pingTimedOut(): void {
    this.timedOutAt = clock.now();
  }
}

describe('heartbeat schedule', () => {
  beforeEach(() => {
    clock = new FakeClock(1000, { mockedTimers: true });
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => {
    mock.timers.reset();
  });

  test('the first ping is due pingInterval after the start, the timeout pingTimeout after the ping', () => {
    const heartbeat = new Heartbeat(300, 200, clock.now);
    const subject = new Subject();
    heartbeat.add(subject);
    clock.advance(298);
    assert.deepEqual(subject.pings, []);
    clock.advance(2);
    // Served at most EARLY_MS (1 ms) before the exact instant, never later than it here.
    assert.equal(subject.pings.length, 1);
    assert.ok(subject.pings[0]! >= 1299 && subject.pings[0]! <= 1300, `ping at ${subject.pings[0]}`);
    clock.advance(198);
    assert.equal(subject.timedOutAt, undefined);
    clock.advance(2);
    assert.ok(subject.timedOutAt !== undefined, 'timed out');
    assert.ok(subject.timedOutAt >= 1499 && subject.timedOutAt <= 1500, `timed out at ${subject.timedOutAt}`);
    assert.equal(subject.heartbeatState, HeartbeatState.Out);
    assert.equal(heartbeat.size, 0);
  });

  test('a pong schedules the next ping pingInterval after it', () => {
    const heartbeat = new Heartbeat(300, 200, clock.now);
    const subject = new Subject();
    heartbeat.add(subject);
    clock.advance(300);
    clock.advance(50);
    heartbeat.pong(subject);
    assert.equal(subject.heartbeatState, HeartbeatState.WaitingPing);
    clock.advance(298);
    assert.equal(subject.pings.length, 1);
    clock.advance(2);
    assert.equal(subject.pings.length, 2);
    assert.ok(subject.pings[1]! >= 1649 && subject.pings[1]! <= 1650, `second ping at ${subject.pings[1]}`);
    assert.equal(subject.timedOutAt, undefined);
  });

  test('a pong nobody asked for changes nothing', () => {
    const heartbeat = new Heartbeat(300, 200, clock.now);
    const subject = new Subject();
    heartbeat.add(subject);
    clock.advance(100);
    heartbeat.pong(subject);
    clock.advance(200);
    assert.equal(subject.pings.length, 1, 'the ping stays due 300 ms after the start');
  });

  test('other traffic while a pong is awaited extends its deadline once, as engine.io does', () => {
    const heartbeat = new Heartbeat(300, 200, clock.now);
    const subject = new Subject();
    heartbeat.add(subject);
    clock.advance(300);
    clock.advance(150);
    heartbeat.activity(subject);
    heartbeat.activity(subject);
    clock.advance(150);
    heartbeat.activity(subject);
    assert.equal(subject.timedOutAt, undefined, 'the first activity moved the deadline to 1650');
    clock.advance(50);
    assert.ok(
      subject.timedOutAt !== undefined && subject.timedOutAt <= 1650,
      `timed out at ${subject.timedOutAt}`,
    );
  });

  test('activity while no pong is awaited does not move the next ping', () => {
    const heartbeat = new Heartbeat(300, 200, clock.now);
    const subject = new Subject();
    heartbeat.add(subject);
    clock.advance(100);
    heartbeat.activity(subject);
    clock.advance(200);
    assert.equal(subject.pings.length, 1);
  });

  test('a removed subject is neither pinged nor timed out', () => {
    const heartbeat = new Heartbeat(300, 200, clock.now);
    const kept = new Subject();
    const removed = new Subject();
    heartbeat.add(kept);
    heartbeat.add(removed);
    clock.advance(300);
    heartbeat.remove(removed);
    clock.advance(300);
    assert.equal(removed.pings.length, 1);
    assert.equal(removed.timedOutAt, undefined);
    assert.ok(kept.timedOutAt !== undefined);
  });

  test('sessions started at different times are each served at their own deadline', () => {
    const heartbeat = new Heartbeat(300, 200, clock.now);
    const subjects: Subject[] = [];
    for (let i = 0; i < 50; i++) {
      const subject = new Subject();
      heartbeat.add(subject);
      subjects.push(subject);
      clock.advance(7);
    }
    clock.advance(600);
    subjects.forEach((subject, i) => {
      const start = 1000 + 7 * i;
      assert.equal(subject.pings.length, 1, `subject ${i}`);
      assert.ok(
        Math.abs(subject.pings[0]! - (start + 300)) <= 1,
        `subject ${i} pinged at ${subject.pings[0]}`,
      );
      assert.ok(
        subject.timedOutAt !== undefined && Math.abs(subject.timedOutAt - (start + 500)) <= 1,
        `subject ${i} timed out at ${subject.timedOutAt}`,
      );
    });
  });

  test('the pong deadline counts from when the ping was due, not from a timer a little late', () => {
    const heartbeat = new Heartbeat(300, 200, clock.now);
    const subject = new Subject();
    heartbeat.add(subject);
    // The ping's timer runs 1 ms after the ping was due (the event loop was busy)...
    clock.set(clock.now() + 301);
    mock.timers.tick(300);
    assert.deepEqual(subject.pings, [1301]);
    // ...and the timeout's timer a millisecond early against the clock (whole-ms timer clock).
    clock.set(clock.now() + 198);
    mock.timers.tick(199);
    // Due at 1300 + 200 = 1500, served within EARLY_MS: gone at 1499, not at 1501 + something.
    assert.equal(subject.timedOutAt, 1499);
  });

  test('a ping that leaves very late still gives the peer half of pingTimeout', () => {
    const heartbeat = new Heartbeat(300, 200, clock.now);
    const subject = new Subject();
    heartbeat.add(subject);
    clock.set(clock.now() + 450);
    mock.timers.tick(300);
    assert.deepEqual(subject.pings, [1450]);
    clock.advance(98);
    assert.equal(subject.timedOutAt, undefined, 'not gone before 1450 + 100');
    clock.advance(4);
    assert.ok(
      subject.timedOutAt !== undefined && subject.timedOutAt <= 1551,
      `timed out at ${subject.timedOutAt}`,
    );
  });

  test('clear() forgets every subject and stops the timer', () => {
    const heartbeat = new Heartbeat(300, 200, clock.now);
    const subject = new Subject();
    heartbeat.add(subject);
    heartbeat.clear();
    clock.advance(600);
    assert.deepEqual(subject.pings, []);
    assert.equal(subject.heartbeatState, HeartbeatState.Out);
  });
});

test('a pingInterval longer than setTimeout takes is waited for, not turned into a 1 ms timer', async () => {
  // Node fires a delay over 2^31 - 1 ms after 1 ms (TimeoutOverflowWarning): armed like that, the
  // sweep would wake every millisecond until the ping was due.
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => {
    if (warning.name === 'TimeoutOverflowWarning') warnings.push(warning.message);
  };
  process.on('warning', onWarning);
  const heartbeat = new Heartbeat(2 ** 32, 1000, () => performance.now());
  const subject = new Subject();
  heartbeat.add(subject);
  try {
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(warnings, []);
    assert.deepEqual(subject.pings, []);
  } finally {
    heartbeat.clear();
    process.off('warning', onWarning);
  }
});
