/**
 * The per-address request budget holds across nodes on one Redis: what an address spent on node
 * A is missing on node B. Decisions use what Redis last said, so the bound is the budget plus what
 * slips through within one round trip (a few units here).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningChat } from '../../src/chat/server.js';
import { closeClients } from '../support/clients.js';
import { type RedisServer, redisAvailable, requireRedis, startRedis } from '../support/redis.js';
import { withTimeout } from '../support/waiting.js';
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
