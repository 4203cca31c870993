/** The request budget, the per-address book and the client address, on their own. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientAddress } from '../../src/chat/address.js';
import { AddressBook, addressKey } from '../../src/chat/addresses.js';
import { Budget } from '../../src/chat/budget.js';
import { FakeClock } from '../support/fake-clock.js';

describe('Budget', () => {
  test('spends down to empty, then says how long until a cost is affordable', () => {
    const clock = new FakeClock();
    const budget = new Budget({ capacity: 10, windowMs: 10_000, now: clock.now });
    for (let i = 0; i < 5; i++) {
      assert.equal(budget.retryAfterMs(2), 0);
      budget.spend(2);
    }
    assert.equal(budget.retryAfterMs(2), 2000, 'two units refill in 2 s at 10 per 10 s');
    clock.advance(1000);
    assert.equal(budget.retryAfterMs(2), 1000);
    clock.advance(1000);
    assert.equal(budget.retryAfterMs(2), 0);
  });

  test('refills to its capacity and no further; a clock stepping back refills nothing', () => {
    const clock = new FakeClock();
    const budget = new Budget({ capacity: 10, now: clock.now });
    budget.spend(10);
    clock.advance(60_000);
    assert.equal(budget.available(), 10);
    budget.spend(5);
    clock.set(0);
    assert.equal(budget.available(), 5);
    assert.equal(budget.isFull(), false);
  });

  test('a refund gives back unused units, never above capacity', () => {
    const budget = new Budget({ capacity: 10, now: () => 0 });
    budget.spend(6);
    budget.refund(4);
    assert.equal(budget.available(), 8);
    budget.refund(100);
    assert.equal(budget.available(), 10);
  });

  test('a cost above the capacity waits for a full bucket rather than forever', () => {
    const budget = new Budget({ capacity: 10, windowMs: 10_000, now: () => 0 });
    budget.spend(10);
    assert.equal(budget.retryAfterMs(50), 10_000);
  });

  test('refuses a capacity or window that is not a positive number', () => {
    assert.throws(() => new Budget({ capacity: 0 }), RangeError);
    assert.throws(() => new Budget({ capacity: Number.NaN }), RangeError);
    assert.throws(() => new Budget({ capacity: 1, windowMs: -1 }), RangeError);
  });
});

describe('client addresses', () => {
  test('the TCP peer without a trusted proxy, whatever X-Forwarded-For says', () => {
    assert.equal(clientAddress({ 'x-forwarded-for': '1.2.3.4' }, '127.0.0.1', 0), '127.0.0.1');
    assert.equal(clientAddress({}, '::ffff:10.1.2.3', 0), '10.1.2.3');
  });

  test('with n trusted proxies, the n-th entry from the right; the leftmost when there are fewer', () => {
    const headers = { 'x-forwarded-for': 'spoofed, 10.0.0.7, 192.168.1.1' };
    assert.equal(clientAddress(headers, '127.0.0.1', 1), '192.168.1.1');
    assert.equal(clientAddress(headers, '127.0.0.1', 2), '10.0.0.7');
    assert.equal(clientAddress(headers, '127.0.0.1', 9), 'spoofed');
    assert.equal(clientAddress({}, '127.0.0.1', 1), '127.0.0.1', 'no header: the peer');
    assert.equal(clientAddress({ 'x-forwarded-for': ' , ' }, '127.0.0.1', 1), '127.0.0.1');
  });

  test('IPv6 addresses count by their /64 prefix, IPv4 as they are', () => {
    assert.equal(addressKey('10.0.0.1'), '10.0.0.1');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
  });
});

describe('AddressBook', () => {
  const options = (clock: FakeClock) => ({
    maxConnections: 2,
    connectionBudget: 10,
    addressBudget: 30,
    messageLimit: 5,
    messageWindowMs: 10_000,
    admissionMs: 1000,
    now: clock.now,
  });

  test('admissions hold a place until they connect or their deadline passes', () => {
    const clock = new FakeClock();
    const book = new AddressBook(options(clock));
    try {
      assert.equal(book.admit('10.0.0.1'), undefined);
      assert.equal(book.admit('10.0.0.1'), undefined);
      assert.match(book.admit('10.0.0.1') ?? '', /at most 2/);
      assert.equal(book.admit('10.0.0.2'), undefined, 'another address has its own places');
      clock.advance(1001);
      assert.equal(book.admit('10.0.0.1'), undefined, 'unconnected admissions expired');
      book.opened('10.0.0.1');
      assert.equal(book.admit('10.0.0.1'), undefined);
      assert.match(book.admit('10.0.0.1') ?? '', /too many connections/);
      book.closed('10.0.0.1');
      assert.equal(book.admit('10.0.0.1'), undefined, 'a closed connection frees its place');
    } finally {
      book.stop();
    }
  });

  test('the next connection takes over the most spent budgets a closed one left', () => {
    const clock = new FakeClock();
    const book = new AddressBook(options(clock));
    try {
      const first = book.takeBudgets('10.0.0.1');
      first.budget.spend(9);
      const second = book.takeBudgets('10.0.0.1');
      second.budget.spend(2);
      book.release('10.0.0.1', second);
      book.release('10.0.0.1', first);
      const next = book.takeBudgets('10.0.0.1');
      assert.equal(next, first);
      assert.notEqual(book.takeBudgets('10.0.0.1'), second, 'taken over once only');
    } finally {
      book.stop();
    }
  });

  test('the sweep forgets addresses once nothing is spent or open', () => {
    const clock = new FakeClock();
    const book = new AddressBook(options(clock));
    try {
      book.opened('10.0.0.1');
      const budgets = book.takeBudgets('10.0.0.1');
      book.shared('10.0.0.1').spend(30);
      budgets.budget.spend(10);
      book.release('10.0.0.1', budgets);
      book.closed('10.0.0.1');
      book.sweep();
      assert.equal(book.size, 1, 'still remembered: spent');
      clock.advance(10_000);
      book.sweep();
      assert.equal(book.size, 0);
    } finally {
      book.stop();
    }
  });
});
