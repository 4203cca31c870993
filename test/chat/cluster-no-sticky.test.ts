/**
 * Chat nodes on one Redis need no sticky sessions: each writes where it listens to Redis, and a
 * long-polling request (or upgrade) that lands on a node that does not own its session is
 * forwarded to the owner it looks up there. Three nodes behind a round-robin TCP proxy; node's
 * socket.io-client opens a new TCP connection for each polling request, so most of a session's
 * requests land on another node than the one that made it.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import type { RunningChat } from '../../src/chat/server.js';
import { closeClients, makeClient } from '../support/clients.js';
import { type RoundRobinProxy, startProxy } from '../support/proxy.js';
import { type RedisServer, redisAvailable, requireRedis, startRedis } from '../support/redis.js';
import { waitFor } from '../support/waiting.js';
import { startChat } from './support.js';

let redis: RedisServer | undefined;
const nodes: RunningChat[] = [];
let proxy: RoundRobinProxy | undefined;
before(async () => {
  if (redisAvailable()) redis = await startRedis();
});
after(async () => {
  await closeClients();
  await proxy?.close();
  for (const node of nodes.splice(0)) await node.close();
  await redis?.stop();
});

/** Opens and closes one TCP connection through the proxy. */
async function shiftTurn(port: number): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.destroy();
}

interface Ack {
  ok: boolean;
}

test('three chat nodes on Redis behind a round-robin proxy: polling and the upgrade work with no affinity, nothing gets 400', async (t) => {
  if (!requireRedis(t)) return;
  const redisKey = `no-sticky-${process.pid}`;
  for (const nodeId of ['a', 'b', 'c']) {
    nodes.push(await startChat({ redis: redis!.url, redisKey, nodeId, pingInterval: 1000, pingTimeout: 1000 }));
  }
  proxy = await startProxy(nodes.map((node) => ({ port: node.port })));
  const url = `http://127.0.0.1:${proxy.port}`;

  const sessions: { transports: string[]; sid: string }[] = [];
  for (const transports of [['polling'], ['polling', 'websocket'], ['polling']]) {
    const client = makeClient(url, { path: '/ws/chat/', transports, reconnection: false, autoConnect: false });
    const broken: string[] = [];
    client.on('connect_error', (err) => broken.push(`connect_error: ${err.message}`));
    client.on('disconnect', (reason) => broken.push(`disconnect: ${reason}`));
    const connected = waitFor(client, 'connect');
    client.connect();
    await connected;
    const sid = client.io.engine.id;
    // With forwarding on, a sid names the node that owns it.
    assert.match(sid, /^[abc]\./);
    sessions.push({ transports, sid });
    for (let i = 0; i < 10; i++) {
      const ack = (await client.timeout(5000).emitWithAck('message', { type: 'text', content: `m${i}` })) as Ack;
      assert.equal(ack.ok, true, JSON.stringify(ack));
    }
    const joined = (await client.timeout(5000).emitWithAck('join', { room: 'forwarded' })) as Ack;
    assert.equal(joined.ok, true, JSON.stringify(joined));
    assert.equal(client.io.engine.transport.name, transports.at(-1));
    assert.deepEqual(broken, []);
    // One empty connection moves the turn on, so the next session's handshake goes to the next node.
    await shiftTurn(proxy.port);
  }
  // The sessions were made on several nodes, and each node took connections for the others.
  assert.ok(new Set(sessions.map((s) => s.sid[0])).size > 1, JSON.stringify(sessions));
  assert.ok(
    proxy.accepted.every((n) => n > 3),
    `every node took requests: ${proxy.accepted.join(', ')}`,
  );
});

test('a node with a session id of a node nobody knows answers 400 "Session ID unknown" after the lookup', async (t) => {
  if (!requireRedis(t)) return;
  if (nodes.length === 0) {
    nodes.push(await startChat({ redis: redis!.url, redisKey: `no-sticky-${process.pid}`, nodeId: 'a' }));
  }
  const node = nodes[0]!;
  const answer = await fetch(`http://127.0.0.1:${node.port}/ws/chat/?EIO=4&transport=polling&sid=gone.abcdef`);
  assert.equal(answer.status, 400);
  assert.deepEqual(await answer.json(), { code: 1, message: 'Session ID unknown' });
});
