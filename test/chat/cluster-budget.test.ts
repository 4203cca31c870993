/**
 * The per-address limits hold across nodes on one Redis: what an address spent of its request
 * budget on node A is missing on node B, and the connections it holds on A count against its cap
 * (`maxConnections`) on B. Decisions use what Redis last said, so the bound is the limit plus what
 * slips through within one round trip (a few units, one connection here).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient } from 'redis';
import type { ChatServerOptions, RunningChat } from '../../src/chat/server.js';
import { closeClients, makeClient, whenConnected } from '../support/clients.js';
import { type RedisServer, redisAvailable, requireRedis, startRedis } from '../support/redis.js';
import { GUARD_MS, withTimeout } from '../support/waiting.js';
import { socketIoClient, startChat } from './support.js';

let redis: RedisServer | undefined;
before(async () => {
  if (redisAvailable()) redis = await startRedis();
});
after(async () => {
  await closeClients();
  await redis?.stop();
});

async function unknownRequests(
  client: Awaited<ReturnType<typeof socketIoClient>>,
  count: number,
): Promise<{ code: string; message: string }[]> {
  const answers: { code: string; message: string }[] = [];
  for (let i = 0; i < count; i++) answers.push((await client.emitWithAck('nope', {})).error);
  return answers;
}

/** Two nodes of one chat on Redis, closed after the test, resolved once both are subscribed. */
async function twoNodes(
  t: { after(fn: () => Promise<void>): void },
  options: Partial<ChatServerOptions>,
): Promise<[RunningChat, RunningChat]> {
  const nodes: [RunningChat, RunningChat] = [await startChat(options), await startChat(options)];
  t.after(async () => {
    await closeClients();
    for (const node of nodes) await node.close();
  });
  const adapter = nodes[0].io.of('/').adapter as unknown as { serverCount(): Promise<number> };
  await withTimeout(
    (async () => {
      while ((await adapter.serverCount()) < 2) await new Promise((resolve) => setImmediate(resolve));
    })(),
    'both nodes to subscribe',
  );
  return nodes;
}

test('an address that spent its budget on node A is refused on node B', async (t) => {
  if (!requireRedis(t)) return;
  const options = { redis: redis!.url, redisKey: `budget-${process.pid}`, addressBudget: 20, budget: 100 };
  const [a, b] = await twoNodes(t, options);
  const onA = await socketIoClient(a, { name: 'a' });
  // An unknown event costs 1 unit and is refused as invalid_request while the budget lasts.
  const spentOnA = await unknownRequests(onA, 18);
  assert.ok(spentOnA.every((e) => e.code === 'invalid_request'));
  // A acks before Redis has its spends (they are sent without waiting): B is checked once they
  // are there, so what it lets through is its own round trip's worth, not A's backlog as well.
  const peek = createClient({ url: redis!.url });
  await peek.connect();
  t.after(() => peek.disconnect());
  const bucket = `${options.redisKey}:budget:127.0.0.1`;
  await withTimeout(
    (async () => {
      // 2 left once all 18 are in, plus what refilled meanwhile (0.002 units per ms): 17 would leave 3.
      while (Number((await peek.hGet(bucket, 'tokens')) ?? 20) >= 3) await new Promise((r) => setImmediate(r));
    })(),
    `A's spends in Redis: ${JSON.stringify(await peek.hGetAll(bucket))}`,
  );

  const onB = await socketIoClient(b, { name: 'b' });
  const onBAnswers = await unknownRequests(onB, 24);
  const passed = onBAnswers.findIndex((e) => e.code === 'rate_limited');
  assert.ok(passed >= 0, 'node B refuses the address at last');
  // One node alone would let 20 through (20 units per address); the shared bucket had 2 left.
  // B also lets through what comes before Redis's first answer about the address: in a loaded
  // test process (both nodes and the client in it) that can be several client round trips.
  assert.ok(passed <= 10, `node B let ${passed} requests through after A spent 18 of 20`);
  assert.match(onBAnswers[passed]!.message, /per address/);
  assert.ok(onBAnswers.slice(passed).every((e) => e.code === 'rate_limited'));
});

/** Tries one connection to `chat`: true when admitted (then closed again), false when refused. */
async function admitted(chat: RunningChat): Promise<boolean> {
  const client = makeClient(`http://127.0.0.1:${chat.port}`, {
    path: chat.options.path,
    transports: ['websocket'],
  });
  try {
    await whenConnected(client);
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

test('an address at its connection cap on node A is refused on node B; once A closes them, B admits it again', async (t) => {
  if (!requireRedis(t)) return;
  const options = { redis: redis!.url, redisKey: `cap-${process.pid}`, maxConnections: 3 };
  const [a, b] = await twoNodes(t, options);
  const onA = [];
  for (let i = 0; i < 3; i++) onA.push(await socketIoClient(a, { name: `a${i}` }));
  assert.equal(await admitted(a), false, 'node A is at the cap');

  // B decides from what Redis last said: A announces the address once it reaches the cap, so B
  // refuses it at once; a handshake racing the announcement may slip through (one at most: B's
  // answer about it tells B the count anyway).
  let slipped = 0;
  while (await admitted(b)) {
    slipped++;
    assert.ok(slipped <= 1, `node B admitted ${slipped} connections of an address at its cap on A`);
  }
  t.diagnostic(`handshakes node B admitted before refusing: ${slipped}`);
  assert.equal(await admitted(b), false, 'node B keeps refusing');

  for (const client of onA) client.disconnect();
  // A refusal makes B ask Redis again: once A's closes are there, B admits the address again.
  const until = Date.now() + GUARD_MS;
  let again = false;
  while (!again && Date.now() < until) again = await admitted(b);
  assert.ok(again, 'node B admits the address again');
});
