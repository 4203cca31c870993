/**
 * Faults of a chat cluster: Redis restarting under two nodes. They stay up, what they could not
 * send to each other meanwhile is reported (not lost silently), and broadcasting resumes once
 * they reconnected.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { after, test } from 'node:test';
import { type ClusterEvent, connectCluster } from '../../src/chat/cluster.js';
import type { RunningChat } from '../../src/chat/server.js';
import type { StoredMessage } from '../../src/chat/store.js';
import { closeClients } from '../support/clients.js';
import { type RedisServer, requireRedis, startRedis } from '../support/redis.js';
import { withTimeout } from '../support/waiting.js';
import { socketIoClient, startChat } from './support.js';

let redis: RedisServer | undefined;
after(async () => {
  await closeClients();
  await redis?.stop();
});

/** Resolves once `predicate` holds for an event reported so far or later. */
function whenReported(
  events: ClusterEvent[],
  listeners: (() => void)[],
  predicate: (e: ClusterEvent) => boolean,
  what: string,
): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      const check = () => {
        if (events.some(predicate)) resolve();
      };
      listeners.push(check);
      check();
    }),
    what,
    8000,
  );
}

test('a Redis restart: both nodes survive, the broadcast sent meanwhile is reported undelivered, and broadcasting resumes', async (t) => {
  if (!requireRedis(t)) return;
  redis = await startRedis();
  const events: ClusterEvent[] = [];
  const listeners: (() => void)[] = [];
  const onClusterEvent = (event: ClusterEvent) => {
    events.push(event);
    for (const listener of listeners) listener();
  };
  const options = { redis: redis.url, redisKey: `faults-${process.pid}`, onClusterEvent };
  const nodes: RunningChat[] = [await startChat(options), await startChat(options)];
  t.after(async () => {
    await closeClients();
    for (const node of nodes) await node.close();
  });
  const [a, b] = nodes as [RunningChat, RunningChat];
  const clustered = async () => {
    const adapter = a.io.of('/').adapter as unknown as { serverCount(): Promise<number> };
    // After a restart one node's clients can be ready before the other's: until then serverCount()
    // rejects ("The client is offline"), which means "not yet", as a count below 2 does.
    const count = () => adapter.serverCount().catch(() => 0);
    while ((await count()) < 2) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  await withTimeout(clustered(), 'both nodes to subscribe');
  const sender = await socketIoClient(a, { name: 'sender' });
  const receiver = await socketIoClient(b, { name: 'receiver' });
  const received: StoredMessage[] = [];
  const arrivals: (() => void)[] = [];
  receiver.on('message', (m: StoredMessage) => {
    received.push(m);
    for (const arrival of arrivals) arrival();
  });
  const arrived = (content: string) =>
    withTimeout(
      new Promise<void>((resolve) => {
        const check = () => received.some((m) => m.content === content) && resolve();
        arrivals.push(check);
        check();
      }),
      `"${content}" on node B`,
    );
  await sender.emitWithAck('message', { type: 'text', content: 'before' });
  await arrived('before');

  const port = redis.port;
  await redis.stop();
  redis = undefined;
  await whenReported(
    events,
    listeners,
    (e) => e.kind === 'redis_reconnecting',
    'the nodes to notice Redis is gone',
  );
  const during = await sender.emitWithAck('message', { type: 'text', content: 'during' });
  assert.equal(during.ok, true, 'the node still stores and acks');
  await whenReported(
    events,
    listeners,
    (e) => e.kind === 'undelivered',
    'the missed broadcast to be reported',
  );

  redis = await startRedis(port);
  await whenReported(
    events,
    listeners,
    (e) => e.kind === 'redis_ready' && events.indexOf(e) > events.findIndex((x) => x.kind === 'undelivered'),
    'the nodes to reconnect',
  );
  await withTimeout(clustered(), 'both nodes to subscribe again', 8000);
  await sender.emitWithAck('message', { type: 'text', content: 'after' });
  await arrived('after');
  assert.ok(
    !received.some((m) => m.content === 'during'),
    'the broadcast during the outage did not arrive (and was reported)',
  );
});

test('a "Redis" that accepts connections and never answers: the start gives up after connectTimeoutMs, saying so, and reports nothing after', async (t) => {
  // Reads (and ignores) what it gets, so it sees the clients close their connections.
  const silent = createServer((socket) => socket.resume());
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => silent.close(() => resolve())));
  const { port } = silent.address() as AddressInfo;
  const events: ClusterEvent[] = [];
  await assert.rejects(
    connectCluster(`redis://user:secret@127.0.0.1:${port}`, { connectTimeoutMs: 300, report: (e) => events.push(e) }),
    new RegExp(`^Error: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: no answer within 300 ms$`),
  );
  // The clients torn down on the way out say nothing more.
  assert.deepEqual(
    events.filter((e) => e.kind === 'redis_error'),
    [],
  );
});
