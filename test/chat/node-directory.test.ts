/**
 * Where chat nodes find each other in Redis (node-directory.ts): a node's entry is there once it
 * registered and gone when it closes; a lookup is answered from Redis once, then from memory; a
 * made-up node id is nowhere; lookups on their way at once are bounded.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient } from 'redis';
import { NodeDirectory } from '../../src/chat/node-directory.js';
import { type RedisServer, redisAvailable, requireRedis, startRedis } from '../support/redis.js';

type Client = ReturnType<typeof createClient>;

let redis: RedisServer | undefined;
const clients: Client[] = [];
before(async () => {
  if (redisAvailable()) redis = await startRedis();
});
after(async () => {
  for (const client of clients) await client.quit().catch(() => undefined);
  await redis?.stop();
});

async function client(): Promise<Client> {
  const made: Client = createClient({ url: redis!.url });
  made.on('error', () => {});
  await made.connect();
  clients.push(made);
  return made;
}

test('a registered node is found by the others, first through Redis then from memory; closing removes it', async (t) => {
  if (!requireRedis(t)) return;
  const key = `dir-${process.pid}-a`;
  const a = new NodeDirectory({ redis: await client(), key, nodeId: 'a', address: '10.0.0.1:8000' });
  const b = new NodeDirectory({ redis: await client(), key, nodeId: 'b', address: '10.0.0.2:8000' });
  await a.register();
  await b.register();
  assert.equal(b.lookup('b'), '10.0.0.2:8000', 'itself, at once');
  const first = b.lookup('a');
  assert.ok(first instanceof Promise, 'the first lookup asks Redis');
  assert.equal(await first, '10.0.0.1:8000');
  assert.equal(b.lookup('a'), '10.0.0.1:8000', 'then it is known at once');
  assert.equal(await a.lookup('nobody'), undefined);
  await a.close();
  const peek = await client();
  assert.equal(await peek.get(`${key}:node:a`), null);
  assert.equal(await peek.get(`${key}:node:b`), '10.0.0.2:8000');
  assert.ok((await peek.pTTL(`${key}:node:b`)) > 0, 'an entry expires unless refreshed');
  await b.close();
});

test('lookups on their way at once are bounded: past 256, made-up node ids are not looked up', async (t) => {
  if (!requireRedis(t)) return;
  const directory = new NodeDirectory({
    redis: await client(),
    key: `dir-${process.pid}-b`,
    nodeId: 'me',
    address: '127.0.0.1:1',
  });
  const answers = Array.from({ length: 300 }, (_, i) => directory.lookup(`fake${i}`));
  const asked = answers.filter((a) => a instanceof Promise);
  assert.equal(asked.length, 256);
  assert.ok(answers.slice(256).every((a) => a === undefined));
  assert.deepEqual(new Set(await Promise.all(asked)), new Set([undefined]));
  // Once they are answered, lookups go on.
  assert.ok(directory.lookup('fake-after') instanceof Promise);
});

test('Redis gone: a node known before is still found, an unknown one is nowhere; nothing throws', async (t) => {
  if (!requireRedis(t)) return;
  const key = `dir-${process.pid}-c`;
  const other = new NodeDirectory({ redis: await client(), key, nodeId: 'other', address: '10.0.0.3:8000' });
  await other.register();
  const redisOfMine = await client();
  const mine = new NodeDirectory({ redis: redisOfMine, key, nodeId: 'mine', address: '10.0.0.4:8000' });
  assert.equal(await mine.lookup('other'), '10.0.0.3:8000');
  await redisOfMine.disconnect();
  // Still in memory (within its 5 s): no lookup needed.
  assert.equal(mine.lookup('other'), '10.0.0.3:8000');
  const unknown = mine.lookup('never-seen');
  assert.ok(unknown instanceof Promise);
  assert.equal(await unknown, undefined);
  await other.close();
});
