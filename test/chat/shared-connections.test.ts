/**
 * The per-address connection counts nodes share in Redis (shared-connections.ts), driven directly:
 * a node's count is seen by the others, a node that dies without a word stops counting once its
 * fields expire, a clean stop removes them at once, Redis down leaves each node counting alone
 * (reported once), and nothing is remembered for an address that has nothing left.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { createClient } from 'redis';
import { SharedConnections } from '../../src/chat/shared-connections.js';
import { RedisLimitsStore, redisAnnouncer } from '../../src/chat/shared-store.js';
import { type RedisServer, redisAvailable, requireRedis, startRedis } from '../support/redis.js';
import { waitUntil, withTimeout } from '../support/waiting.js';

type Client = ReturnType<typeof createClient>;

let redis: RedisServer | undefined;
const clients: Client[] = [];
const counters: SharedConnections[] = [];
before(async () => {
  if (redisAvailable()) redis = await startRedis();
});
after(async () => {
  for (const counter of counters) counter.stop();
  for (const client of clients) if (client.isOpen) await client.disconnect().catch(() => undefined);
  await redis?.stop();
});

let keys = 0;
async function client(): Promise<Client> {
  const made: Client = createClient({ url: redis!.url, disableOfflineQueue: true });
  made.on('error', () => {});
  await made.connect();
  clients.push(made);
  return made;
}

async function node(
  key: string,
  reports: string[] = [],
  ttlMs?: number,
  max?: number,
): Promise<SharedConnections> {
  const redisClient = await client();
  const counter = new SharedConnections({
    store: new RedisLimitsStore(redisClient),
    key,
    ...(ttlMs === undefined ? {} : { ttlMs }),
    ...(max === undefined ? {} : { max, announcer: redisAnnouncer(redisClient, await client()) }),
    report: (message) => reports.push(message),
  });
  counters.push(counter);
  return counter;
}

/** Whether `counter` sees `count` connections of `address` elsewhere; if not, it asks Redis again. */
function seen(counter: SharedConnections, address: string, count: number): boolean {
  if (counter.others(address) === count) return true;
  counter.refresh(address);
  return false;
}

test('what one node holds of an address is what the others see; a clean stop takes it out at once', async (t) => {
  if (!requireRedis(t)) return;
  const key = `conns-${process.pid}-${keys++}`;
  const [a, b] = [await node(key), await node(key)];
  a.set('10.0.0.1', 3);
  b.set('10.0.0.1', 1);
  // Each may have heard Redis before the other's count was there: asking again shows it.
  await waitUntil(() => seen(b, '10.0.0.1', 3), 'B to see A holds 3');
  a.set('10.0.0.1', 2);
  await waitUntil(() => seen(a, '10.0.0.1', 1), 'A to see B holds 1');
  assert.equal(b.others('10.0.0.2'), 0, 'an address nobody holds');
  a.stop();
  await waitUntil(() => seen(b, '10.0.0.1', 0), 'B to see A is gone after its clean stop');
});

test('an address reaching the cap is announced: a node that never heard of it knows at once, and again when it goes below', async (t) => {
  if (!requireRedis(t)) return;
  const key = `conns-${process.pid}-${keys++}`;
  const [a, b] = [await node(key, [], undefined, 3), await node(key, [], undefined, 3)];
  // Both subscribe as they start: one that has not joined yet would miss an announcement.
  const inspect = await client();
  const channel = `${key}:connections-full`;
  await withTimeout(
    (async () => {
      while (((await inspect.pubSubNumSub(channel))[channel] ?? 0) < 2) await setImmediatePromise();
    })(),
    'both nodes to subscribe',
  );
  a.set('10.0.0.1', 2);
  a.set('10.0.0.1', 3);
  await waitUntil(() => b.others('10.0.0.1') === 3, 'B to hear that A holds the cap');
  assert.equal(b.others('10.0.0.2'), 0);
  a.set('10.0.0.1', 1);
  await waitUntil(() => b.others('10.0.0.1') === 1, 'B to hear that A went below the cap');
  a.stop();
  b.stop();
});

test('a node that dies without a word stops counting once its fields expire', async (t) => {
  if (!requireRedis(t)) return;
  const key = `conns-${process.pid}-${keys++}`;
  const reports: string[] = [];
  const dead = await node(key, reports, 300);
  const alive = await node(key, [], 300);
  dead.set('10.0.0.1', 3);
  alive.set('10.0.0.1', 1);
  await waitUntil(() => seen(alive, '10.0.0.1', 3), 'the alive node to see the other hold 3');
  // The other node's link to Redis breaks as a SIGKILL would break it: no stop, no refresh.
  await clients[clients.length - 2]!.disconnect();
  const inspect = await client();
  const hash = `${key}:connections:10.0.0.1`;
  assert.equal(Object.keys(await inspect.hGetAll(hash)).length, 2);
  await waitUntil(() => alive.others('10.0.0.1') === 0, "the dead node's count to expire", 3000);
  assert.deepEqual(Object.keys(await inspect.hGetAll(hash)), [alive.nodeId], 'its field is dropped');
});

test('Redis down: each node counts alone, reported once; with nothing held, nothing is remembered', async (t) => {
  if (!requireRedis(t)) return;
  const key = `conns-${process.pid}-${keys++}`;
  const reports: string[] = [];
  const [a, b] = [await node(key), await node(key, reports)];
  a.set('10.0.0.1', 2);
  b.set('10.0.0.1', 1);
  await waitUntil(() => seen(b, '10.0.0.1', 2), 'B to see A holds 2');
  const down = redis!;
  const port = down.port;
  await down.stop();
  redis = undefined;
  b.set('10.0.0.1', 2);
  await waitUntil(() => b.others('10.0.0.1') === 0, 'B to count alone');
  b.set('10.0.0.1', 3);
  b.set('10.0.0.2', 1);
  await waitUntil(() => reports.length > 0, 'the outage to be reported');
  redis = await startRedis(port);
  assert.equal(reports.length, 1, `reported once: ${reports.join(' | ')}`);
  assert.match(reports[0]!, /each node counts alone/);
  b.set('10.0.0.1', 0);
  b.set('10.0.0.2', 0);
  await waitUntil(() => b.size === 0, 'B to forget the addresses it holds nothing of');
});
