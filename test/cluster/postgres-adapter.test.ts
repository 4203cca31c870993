/**
 * Cluster: two nodes of the server under test on one PostgreSQL with @socket.io/postgres-adapter
 * (LISTEN/NOTIFY, heartbeats): broadcasts to everyone and to rooms cross nodes, binary payloads
 * (which the adapter moves through its attachments table), and fetchSockets lists both nodes'
 * sockets. Run against parley and, with PARLEY_TEST_AGAINST=socket.io, socket.io.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { createAdapter } from '@socket.io/postgres-adapter';
import pg from 'pg';
import type { Socket as ServerSocket } from 'socket.io';
import { connectClient, waitFor } from '../support/fixtures.js';
import { type PostgresServer, postgresAvailable, requirePostgres, startPostgres } from '../support/postgres.js';
import { type ClusterNode, closeCluster, startNodeWith, whenClustered } from './support.js';

let postgres: PostgresServer | undefined;
const pools: pg.Pool[] = [];
before(async () => {
  if (!postgresAvailable()) return;
  postgres = await startPostgres();
  // The adapter's table for binary and large payloads, which its README has the user create.
  const client = new pg.Client(postgres.connection);
  await client.connect();
  await client.query(
    'CREATE TABLE IF NOT EXISTS socket_io_attachments (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)',
  );
  await client.end();
});
after(async () => {
  await postgres?.stop();
});
afterEach(async () => {
  await closeCluster();
  for (const pool of pools.splice(0)) await pool.end().catch(() => {});
});

let channels = 0;

async function pgPair(): Promise<[ClusterNode, ClusterNode]> {
  channels++;
  const channelPrefix = `t${process.pid}_${channels}`;
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < 2; i++) {
    const pool = new pg.Pool({ ...postgres!.connection, max: 4 });
    pool.on('error', () => {});
    pools.push(pool);
    nodes.push(await startNodeWith('under-test', createAdapter(pool, { channelPrefix, heartbeatInterval: 200, heartbeatTimeout: 2000 })));
  }
  await whenClustered(nodes);
  return nodes as [ClusterNode, ClusterNode];
}

describe('postgres adapter: two nodes of the server under test', { skip: !postgresAvailable() && process.env.CI !== 'true' }, () => {
  test('broadcasts to everyone and to a room reach clients on the other node, binary included', async (t) => {
    if (!requirePostgres(t)) return;
    const [a, b] = await pgPair();
    const joinedB = waitFor<ServerSocket>(b.io, 'connection');
    const clientA = await connectClient(a.url, { transports: ['websocket'] });
    const clientB = await connectClient(b.url, { transports: ['websocket'] });
    (await joinedB).join('room');
    const gotA = waitFor(clientA, 'hello');
    const gotB = waitFor(clientB, 'hello');
    a.io.emit('hello', { from: 'a' });
    assert.deepEqual(await gotA, { from: 'a' });
    assert.deepEqual(await gotB, { from: 'a' });
    const inRoom = waitFor<Uint8Array>(clientB, 'bytes');
    a.io.to('room').emit('bytes', Buffer.from([7, 8]));
    assert.deepEqual([...(await inRoom)], [7, 8]);
  });

  test('fetchSockets on either node lists the sockets of both', async (t) => {
    if (!requirePostgres(t)) return;
    const [a, b] = await pgPair();
    const clientA = await connectClient(a.url, { transports: ['websocket'] });
    const clientB = await connectClient(b.url, { transports: ['websocket'] });
    for (const node of [a, b]) {
      const ids = (await node.io.fetchSockets()).map((s) => s.id).sort();
      assert.deepEqual(ids, [clientA.id, clientB.id].sort());
    }
  });
});
