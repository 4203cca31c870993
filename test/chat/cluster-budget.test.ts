/**
 * The per-address limits hold across nodes on one Redis: what an address spent of its request
 * budget on node A is missing on node B, and the connections it holds on A count against its cap
 * (`maxConnections`) on B. Decisions use what Redis last said, so the bound is the limit plus what
 * slips through within one round trip (a few units, one connection here).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningChat } from '../../src/chat/server.js';
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

test('an address that spent its budget on node A is refused on node B', async (t) => {
  if (!requireRedis(t)) return;
  const options = { redis: redis!.url, redisKey: `budget-${process.pid}`, addressBudget: 20, budget: 100 };
  const nodes: RunningChat[] = [await startChat(options), await startChat(options)];
  t.after(async () => {
    await closeClients();
    for (const node of nodes) await node.close();
  });
  const [a, b] = nodes as [RunningChat, RunningChat];
  const adapter = a.io.of('/').adapter as unknown as { serverCount(): Promise<number> };
  await withTimeout(
    (async () => {
      while ((await adapter.serverCount()) < 2) await new Promise((resolve) => setImmediate(resolve));
    })(),
    'both nodes to subscribe',
  );
  const onA = await socketIoClient(a, { name: 'a' });
  // An unknown event costs 1 unit and is refused as invalid_request while the budget lasts.
  const spentOnA = await unknownRequests(onA, 18);
  assert.ok(spentOnA.every((e) => e.code === 'invalid_request'));

  const onB = await socketIoClient(b, { name: 'b' });
  const onBAnswers = await unknownRequests(onB, 12);
  const passed = onBAnswers.findIndex((e) => e.code === 'rate_limited');
  assert.ok(passed >= 0, 'node B refuses the address at last');
  // One node alone would let 12 through (20 units per address); the shared bucket had 2 left.
  assert.ok(passed <= 4, `node B let ${passed} requests through after A spent 18 of 20`);
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
  const nodes: RunningChat[] = [await startChat(options), await startChat(options)];
  t.after(async () => {
    await closeClients();
    for (const node of nodes) await node.close();
  });
  const [a, b] = nodes as [RunningChat, RunningChat];
  const adapter = a.io.of('/').adapter as unknown as { serverCount(): Promise<number> };
  await withTimeout(
    (async () => {
      while ((await adapter.serverCount()) < 2) await new Promise((resolve) => setImmediate(resolve));
    })(),
    'both nodes to subscribe',
  );
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
