/**
 * A node of a chat cluster dies (SIGKILL) in the middle of a burst: three `parley serve` processes
 * on one Redis and one PostgreSQL, behind a round-robin TCP proxy, official clients sending
 * messages with acks through it. The killed node's clients reconnect through the proxy to the
 * others and go on; every message that was acked is in `history` on a surviving node, once; the
 * survivors keep serving (and broadcasting to each other).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { StoredMessage } from '../../src/chat/store.js';
import { type ClientSocket, closeClients, makeClient, whenConnected } from '../support/clients.js';
import { type PostgresServer, requirePostgres, startPostgres } from '../support/postgres.js';
import { type RoundRobinProxy, startProxy } from '../support/proxy.js';
import { type RedisServer, requireRedis, startRedis } from '../support/redis.js';
import { Changes, withTimeout } from '../support/waiting.js';
import { type ChatProcess, startChatProcess } from './support.js';

const NODES = 3;
const CLIENTS = 6;
const PER_CLIENT = 40;
/** The node killed: round robin puts clients 1 and 4 on it. */
const VICTIM = 1;
const PATH = '/ws/chat/';

let redis: RedisServer | undefined;
let postgres: PostgresServer | undefined;
let proxy: RoundRobinProxy | undefined;
const nodes: ChatProcess[] = [];
after(async () => {
  await closeClients();
  await proxy?.close();
  for (const node of nodes) await node.process.stop('SIGTERM');
  await redis?.stop();
  await postgres?.stop();
});

/** What one client did during the burst. */
interface Sender {
  readonly name: string;
  readonly client: ClientSocket;
  /** The node (index in `nodes`) its first connection reached. */
  readonly node: number;
  disconnects: number;
  reconnects: number;
  /** Every ok ack: the id given, the content sent, and whether it came after a reconnect. */
  readonly acked: { id: number; content: string; afterReconnect: boolean }[];
  /** Messages whose ack never came (in flight when the connection broke). */
  readonly unanswered: string[];
  /** Acks that were refusals. */
  readonly refused: unknown[];
  readonly received: StoredMessage[];
}

/** Reads a room's whole history from `client`, page after page by `after`. */
async function wholeHistory(client: ClientSocket, room: string): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  let afterId = 0;
  for (;;) {
    const page = await client.timeout(5000).emitWithAck('history', { room, after: afterId, limit: 100 });
    assert.equal(page.ok, true, `history answered ${JSON.stringify(page)}`);
    const messages = page.messages as StoredMessage[];
    all.push(...messages);
    if (!page.hasMore || messages.length === 0) return all;
    afterId = messages.at(-1)!.id;
  }
}

test('SIGKILL of one node of three mid-burst: its clients reconnect to the others through the proxy and go on, every acked message is in history once, the survivors keep serving', async (t) => {
  if (!requireRedis(t) || !requirePostgres(t)) return;
  redis = await startRedis();
  postgres = await startPostgres();
  const c = postgres.connection;
  const db = `postgres://${encodeURIComponent(c.user)}@${c.host}:${c.port}/${c.database}`;
  // Limits out of the way: every client comes from 127.0.0.1, and the burst is what is measured.
  const args = ['--redis', redis.url, '--db', db, '--rate-limit', '1000000', '--budget', '1000000'];
  args.push('--address-budget', '100000000');
  for (let i = 0; i < NODES; i++) nodes.push(await startChatProcess(args));
  proxy = await startProxy(nodes);
  const accepted = proxy.accepted;

  const changes = new Changes();
  const senders: Sender[] = [];
  // One after the other, so each client's WebSocket (its one TCP connection) goes to the next node.
  for (let k = 0; k < CLIENTS; k++) {
    const before = [...accepted];
    const client = makeClient(`http://127.0.0.1:${proxy.port}`, {
      path: PATH,
      transports: ['websocket'],
      auth: { name: `c${k}` },
      reconnection: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 200,
    });
    await whenConnected(client);
    const node = accepted.findIndex((n, i) => n > before[i]!);
    const sender: Sender = {
      name: `c${k}`,
      client,
      node,
      disconnects: 0,
      reconnects: 0,
      acked: [],
      unanswered: [],
      refused: [],
      received: [],
    };
    client.on('disconnect', () => {
      sender.disconnects++;
      changes.changed();
    });
    client.on('connect', () => {
      sender.reconnects++;
      changes.changed();
    });
    client.on('message', (m: StoredMessage) => {
      sender.received.push(m);
      changes.changed();
    });
    senders.push(sender);
  }
  assert.deepEqual(
    senders.map((s) => s.node),
    senders.map((_, k) => k % NODES),
    'round robin: client k on node k mod 3',
  );
  const onVictim = senders.filter((s) => s.node === VICTIM);
  const survivors = senders.filter((s) => s.node !== VICTIM);

  let acks = 0;
  const killAt = Math.floor((CLIENTS * PER_CLIENT) / 4);
  const killed = changes
    .until(() => acks >= killAt, `${killAt} acks before the kill`, 20_000)
    .then(() => nodes[VICTIM]!.process.stop('SIGKILL'));
  // Each client sends its messages one after the other, each waiting for its ack; a message whose
  // connection breaks is answered with an error by the client and the next one goes on (buffered
  // by the client until it has reconnected).
  await withTimeout(
    Promise.all(
      senders.map(async (s) => {
        for (let i = 0; i < PER_CLIENT; i++) {
          const content = `${s.name}-${i}`;
          try {
            const reply = await s.client.timeout(10_000).emitWithAck('message', { type: 'text', content });
            if (reply.ok === true) {
              s.acked.push({ id: reply.id as number, content, afterReconnect: s.reconnects > 0 });
              acks++;
              changes.changed();
            } else {
              s.refused.push(reply);
            }
          } catch {
            s.unanswered.push(content);
          }
        }
      }),
    ),
    'the burst',
    40_000,
  );
  const exit = await killed;
  assert.equal(exit.signal, 'SIGKILL');
  t.diagnostic(
    `killed after ${killAt} acks; per client on the killed node: ` +
      onVictim
        .map(
          (s) =>
            `${s.name} ${s.acked.filter((a) => !a.afterReconnect).length} acked before, ` +
            `${s.acked.filter((a) => a.afterReconnect).length} after, ${s.unanswered.length} unanswered`,
        )
        .join('; '),
  );

  for (const s of survivors) {
    assert.equal(s.disconnects, 0, `${s.name} on a surviving node kept its connection`);
    assert.deepEqual(s.refused, [], `${s.name}: no refusals`);
    assert.equal(s.acked.length, PER_CLIENT, `${s.name}: every message acked`);
  }
  for (const s of onVictim) {
    assert.ok(s.disconnects >= 1, `${s.name} lost its node`);
    assert.ok(s.reconnects >= 1 && s.client.connected, `${s.name} reconnected`);
    assert.deepEqual(s.refused, [], `${s.name}: no refusals`);
    assert.ok(
      s.acked.some((a) => !a.afterReconnect),
      `${s.name} had messages acked by the killed node before it died`,
    );
    assert.ok(
      s.acked.some((a) => a.afterReconnect),
      `${s.name} went on after reconnecting`,
    );
    // One message at a time: at most the one in flight at the kill goes unanswered.
    assert.ok(s.unanswered.length <= 1, `${s.name}: unanswered ${s.unanswered.join(', ')}`);
    assert.equal(s.acked.length + s.unanswered.length, PER_CLIENT);
  }
  const surviving = nodes.filter((_, i) => i !== VICTIM);
  assert.ok(
    surviving.every((n) => n.process.child.exitCode === null && n.process.child.signalCode === null),
    'the other nodes still run',
  );

  // The history, read straight from a surviving node.
  const reader = makeClient(surviving[0]!.url, {
    path: PATH,
    transports: ['websocket'],
    auth: { name: 'reader' },
  });
  await whenConnected(reader);
  const history = await wholeHistory(reader, 'lobby');
  const ids = history.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'no id twice in history');
  assert.deepEqual(
    [...ids].sort((a, b) => a - b),
    ids,
    'history in id order',
  );
  const contents = history.map((m) => m.content);
  assert.equal(new Set(contents).size, contents.length, 'no message stored twice');
  const byId = new Map(history.map((m) => [m.id, m]));
  const allAcked = senders.flatMap((s) => s.acked.map((a) => ({ ...a, name: s.name })));
  assert.equal(new Set(allAcked.map((a) => a.id)).size, allAcked.length, 'every ack gave its own id');
  const missing = allAcked.filter((a) => byId.get(a.id)?.content !== a.content);
  assert.deepEqual(missing, [], 'every acked message is in history with its content');
  // What is in history beyond the acks is at most the messages in flight at the kill.
  const unanswered = new Set(senders.flatMap((s) => s.unanswered));
  assert.ok(
    history.every((m) => allAcked.some((a) => a.id === m.id) || unanswered.has(m.content)),
    'nothing in history that was not sent',
  );

  // The survivors keep serving: a message sent on one reaches a client of the other over Redis.
  const [first, second] = [senders.find((s) => s.node === 0)!, senders.find((s) => s.node === 2)!];
  const reply = await first.client
    .timeout(5000)
    .emitWithAck('message', { type: 'text', content: 'after the kill' });
  assert.equal(reply.ok, true);
  await changes.until(
    () => second.received.some((m) => m.id === reply.id),
    'the message from node 0 to reach a client of node 2',
  );
  const moved = onVictim[0]!;
  await changes.until(
    () => moved.received.some((m) => m.id === reply.id),
    'the message to reach a client that moved off the killed node',
  );
});
