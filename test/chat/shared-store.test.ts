/**
 * The in-memory store of shared limits (the primary of `--workers` keeps it for its workers): the
 * same arithmetic as the Redis scripts, on a clock of the test's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLimitsStore } from '../../src/chat/shared-store.js';

function clocked(): { store: MemoryLimitsStore; advance(ms: number): void } {
  let now = 1_000_000;
  return { store: new MemoryLimitsStore(() => now), advance: (ms) => (now += ms) };
}

test('a bucket starts full, goes below zero on an overdraft, refills at its rate and never above capacity', async () => {
  const { store, advance } = clocked();
  // 10 units per 10 s: 0.001 per ms.
  assert.equal(await store.spend('a', 10, 0.001, 4), 6);
  assert.equal(await store.spend('a', 10, 0.001, 8), -2);
  advance(3000);
  assert.equal(await store.spend('a', 10, 0.001, 0), 1);
  // Giving back cannot raise it over capacity.
  assert.equal(await store.spend('a', 10, 0.001, -100), 10);
  advance(60_000);
  assert.equal(await store.spend('a', 10, 0.001, 1), 9);
  // Another key is another bucket.
  assert.equal(await store.spend('b', 10, 0.001, 1), 9);
});

test('counts add up over nodes; 0 removes a node; an entry not set again within its ttl stops counting', async () => {
  const { store, advance } = clocked();
  assert.equal(await store.setCount('addr', 'w1', 2, 15_000), 2);
  assert.equal(await store.setCount('addr', 'w2', 3, 15_000), 5);
  assert.equal(await store.setCount('addr', 'w1', 0, 15_000), 3);
  advance(10_000);
  assert.equal(await store.setCount('addr', 'w1', 1, 15_000), 4);
  // w2 was last set 16 s ago: a worker that died without a word.
  advance(6_000);
  assert.equal(await store.setCount('addr', 'w1', 1, 15_000), 1);
  assert.equal(await store.setCount('other', 'w1', 1, 15_000), 1);
});

test('memory is bounded: emptied counts are dropped at once, full buckets and expired counts when the maps grow', async () => {
  const { store, advance } = clocked();
  await store.setCount('addr', 'w1', 1, 1000);
  await store.setCount('addr', 'w1', 0, 1000);
  assert.equal(store.size, 0);
  for (let i = 0; i < 10_000; i++) await store.spend(`bucket-${i}`, 10, 0.001, 1);
  for (let i = 0; i < 10_000; i++) await store.setCount(`count-${i}`, 'w1', 1, 1000);
  assert.equal(store.size, 20_000);
  // Every bucket is full again after 1 s and every count expired: the next insert of each kind sweeps.
  advance(2000);
  await store.spend('fresh', 10, 0.001, 1);
  await store.setCount('fresh', 'w1', 1, 1000);
  assert.equal(store.size, 2);
});
