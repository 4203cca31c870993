import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_RATE_LIMIT, RateLimiter } from '../../src/chat/rate-limit.js';
import { FakeClock } from '../support/fake-clock.js';

function takeMany(limiter: RateLimiter, n: number): boolean[] {
  return Array.from({ length: n }, () => limiter.take());
}

describe('RateLimiter', () => {
  test('defaults to 20 messages per 10 s', () => {
    assert.deepEqual({ ...DEFAULT_RATE_LIMIT }, { limit: 20, windowMs: 10_000 });
    const limiter = new RateLimiter();
    assert.equal(limiter.limit, 20);
    assert.equal(limiter.windowMs, 10_000);
  });

  test('allows 20 in 10 s, then refuses with rate_limited', () => {
    const c = new FakeClock();
    const limiter = new RateLimiter({ now: c.now });
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(limiter.attempt(), { ok: true }, `message ${i + 1}`);
      c.advance(100);
    }
    const refused = limiter.attempt();
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.equal(refused.error.code, 'rate_limited');
      assert.match(refused.error.message, /20 per 10 s/);
    }
    assert.equal(limiter.take(), false);
  });

  test('recovers after the window', () => {
    const c = new FakeClock();
    const limiter = new RateLimiter({ limit: 20, windowMs: 10_000, now: c.now });
    assert.ok(takeMany(limiter, 20).every(Boolean));
    assert.equal(limiter.take(), false);
    c.advance(9_999);
    assert.equal(limiter.take(), false);
    assert.equal(limiter.retryAfterMs(), 1);
    c.advance(1);
    assert.equal(limiter.retryAfterMs(), 0);
    assert.equal(limiter.remaining(), 20);
    assert.ok(takeMany(limiter, 20).every(Boolean));
    assert.equal(limiter.take(), false);
  });

  test('is a sliding window: slots free up one by one as old messages age out', () => {
    const c = new FakeClock(0);
    const limiter = new RateLimiter({ limit: 3, windowMs: 1000, now: c.now });
    assert.equal(limiter.take(), true); // t=0
    c.set(400);
    assert.equal(limiter.take(), true); // t=400
    c.set(800);
    assert.equal(limiter.take(), true); // t=800
    assert.equal(limiter.take(), false);
    c.set(999);
    assert.equal(limiter.take(), false);
    c.set(1000); // t=0 aged out
    assert.equal(limiter.take(), true);
    assert.equal(limiter.take(), false);
    assert.equal(limiter.retryAfterMs(), 400); // t=400 ages out at 1400
    c.set(1400);
    assert.equal(limiter.take(), true);
    assert.equal(limiter.take(), false);
  });

  test('refused attempts do not count against the client', () => {
    const c = new FakeClock(0);
    const limiter = new RateLimiter({ limit: 2, windowMs: 1000, now: c.now });
    takeMany(limiter, 2);
    for (let i = 0; i < 100; i++) {
      c.advance(5);
      assert.equal(limiter.take(), false);
    }
    c.set(1000);
    assert.equal(limiter.take(), true);
  });

  test('never allows more than limit within any window', () => {
    const c = new FakeClock(0);
    const limit = 5;
    const windowMs = 100;
    const limiter = new RateLimiter({ limit, windowMs, now: c.now });
    const accepted: number[] = [];
    for (let t = 0; t < 2000; t += 7) {
      c.set(t);
      if (limiter.take()) accepted.push(t);
    }
    for (const start of accepted) {
      const inWindow = accepted.filter((t) => t >= start && t < start + windowMs).length;
      assert.ok(inWindow <= limit, `${inWindow} accepted in window starting at ${start}`);
    }
    assert.ok(accepted.length > 2000 / windowMs); // and it does keep accepting
  });

  test('a clock stepping backwards does not free slots early', () => {
    const c = new FakeClock(10_000);
    const limiter = new RateLimiter({ limit: 2, windowMs: 1000, now: c.now });
    takeMany(limiter, 2);
    c.set(0);
    assert.equal(limiter.take(), false);
    c.set(10_999);
    assert.equal(limiter.take(), false);
    c.set(11_000);
    assert.equal(limiter.take(), true);
  });

  test('remaining counts what would be accepted now', () => {
    const c = new FakeClock(0);
    const limiter = new RateLimiter({ limit: 3, windowMs: 1000, now: c.now });
    assert.equal(limiter.remaining(), 3);
    limiter.take();
    assert.equal(limiter.remaining(), 2);
    takeMany(limiter, 2);
    assert.equal(limiter.remaining(), 0);
    c.set(1000);
    assert.equal(limiter.remaining(), 3);
  });

  test('reset forgets recorded messages', () => {
    const c = new FakeClock(0);
    const limiter = new RateLimiter({ limit: 2, windowMs: 1000, now: c.now });
    takeMany(limiter, 2);
    assert.equal(limiter.take(), false);
    limiter.reset();
    assert.equal(limiter.take(), true);
  });

  test('is configurable: limit 1 per 50 ms', () => {
    const c = new FakeClock(0);
    const limiter = new RateLimiter({ limit: 1, windowMs: 50, now: c.now });
    assert.equal(limiter.take(), true);
    assert.equal(limiter.take(), false);
    c.advance(50);
    assert.equal(limiter.take(), true);
    const refused = limiter.attempt();
    assert.ok(!refused.ok && /1 per 50 ms/.test(refused.error.message));
  });

  test('rejects invalid options', () => {
    for (const options of [
      { limit: 0 },
      { limit: 1.5 },
      { limit: -1 },
      { windowMs: 0 },
      { windowMs: Number.NaN },
    ]) {
      assert.throws(() => new RateLimiter(options), RangeError);
    }
  });
});
