/**
 * The chat's limits through its public interface, for both kinds of client: one request budget per
 * connection and per client address (kept across reconnects), rooms per connection, connections
 * per address (refused at the handshake), and the trusted proxy's client address.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { RunningChat } from '../../src/chat/server.js';
import type { ClientSocket } from '../support/clients.js';
import { http, WsClient } from '../support/raw-clients.js';
import { assertNoSessions } from '../support/sessions.js';
import { waitUntil, withTimeout } from '../support/waiting.js';
import { PlainChatClient, socketIoClient, startChat } from './support.js';

let chat: RunningChat | undefined;
const clients: { close(): unknown }[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  if (chat) {
    await assertNoSessions(chat.io);
    await chat.close();
    chat = undefined;
  }
});

async function start(options: Parameters<typeof startChat>[0] = {}): Promise<RunningChat> {
  chat = await startChat(options);
  return chat;
}

async function sio(
  auth: Record<string, unknown> = { name: 'tester' },
  options: Parameters<typeof socketIoClient>[3] = {},
): Promise<ClientSocket> {
  const client = await socketIoClient(chat!, auth, undefined, options);
  clients.push({ close: () => client.disconnect() });
  return client;
}

async function plain(query: Record<string, string> = { name: 'tester' }, options = {}): Promise<PlainChatClient> {
  const client = await PlainChatClient.open(chat!, query, options);
  clients.push(client);
  return client;
}

type Answer = { ok: boolean; error?: { code: string; message: string; retryAfterMs?: number } };

/** Sends `count` requests at once and resolves with their answers, in order. */
function burst(client: ClientSocket, count: number, event: string, payload: (i: number) => unknown): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => client.timeout(20_000).emitWithAck(event, payload(i)) as Promise<Answer>),
  );
}

function firstRefusal(answers: Answer[]): number {
  return answers.findIndex((a) => !a.ok);
}

describe('chat limits: one request budget', () => {
  test('history pages are paid by the rows they return: a flood is refused with rate_limited and retryAfterMs', async () => {
    await start({ budget: 100 });
    for (let i = 0; i < 100; i++) chat!.store.append({ room: 'lobby', from: 'seed', fromId: null, content: `m${i}` });
    const client = await sio();
    // A full page of 100 rows costs 1 + 100 × 0.1 = 11 units: 9 fit in 100.
    const answers = await burst(client, 20, 'history', () => ({ room: 'lobby', limit: 100 }));
    const refusedAt = firstRefusal(answers);
    assert.ok(refusedAt >= 9 && refusedAt <= 10, `first refusal at ${refusedAt}`);
    const refused = answers[refusedAt]!;
    assert.equal(refused.error?.code, 'rate_limited');
    assert.match(refused.error!.message, /budget/);
    assert.ok(refused.error!.retryAfterMs! > 0 && refused.error!.retryAfterMs! <= 10_000, `${refused.error!.retryAfterMs}`);
  });

  test('short pages cost less: the unused rows are given back', async () => {
    await start({ budget: 100 });
    chat!.store.append({ room: 'lobby', from: 'seed', fromId: null, content: 'only one' });
    const client = await sio();
    // limit 100 but one row: 1.1 units each, so far more than 9 pass.
    const answers = await burst(client, 60, 'history', () => ({ room: 'lobby', limit: 100 }));
    assert.equal(firstRefusal(answers), -1, 'no refusal for 60 one-row pages');
  });

  test('joins, typing, unknown events and messages all draw on it, for a plain client too', async () => {
    await start({ budget: 10, rateLimit: 1000 });
    const client = await plain();
    const answers: Record<string, unknown>[] = [];
    for (let i = 0; i < 6; i++) answers.push(await client.request('join', { room: `r${i}` })); // 2 each
    const refused = answers.findIndex((a) => a.ok !== true);
    assert.equal(refused, 5, 'five joins of 2 units fit in 10');
    const error = answers[5]!.error as { code: string; retryAfterMs: number };
    assert.equal(error.code, 'rate_limited');
    assert.ok(error.retryAfterMs > 0);
    // Without an ack, the refusal is an error frame.
    client.send({ event: 'message', data: { type: 'text', content: 'hi' } });
    const frame = (await client.event('error')) as { code: string; retryAfterMs: number };
    assert.equal(frame.code, 'rate_limited');
  });

  test('a join pays for the history page its ack carries', async () => {
    await start({ budget: 20 });
    for (let r = 0; r < 6; r++) {
      for (let i = 0; i < 50; i++) chat!.store.append({ room: `full-${r}`, from: 'seed', fromId: null, content: `m${i}` });
    }
    const client = await plain();
    const answers: Record<string, unknown>[] = [];
    for (let r = 0; r < 6; r++) answers.push(await client.request('join', { room: `full-${r}` }));
    // 2 units a join, plus 0.1 for each of its 50 history rows: 7; the third finds 6 (it may
    // start with 2) and empties the budget.
    assert.deepEqual(
      answers.map((a) => a.ok),
      [true, true, true, false, false, false],
    );
    assert.equal((answers[0]!.history as unknown[]).length, 50);
  });

  test("an address's connections share its budget", async () => {
    await start({ budget: 100, addressBudget: 30 });
    const first = await sio();
    const second = await sio();
    // Joining the lobby again costs 2 units and changes nothing.
    const a = await burst(first, 10, 'join', () => ({ room: 'lobby' }));
    assert.equal(firstRefusal(a), -1);
    const b = await burst(second, 10, 'join', () => ({ room: 'lobby' }));
    const at = firstRefusal(b);
    assert.ok(at >= 5 && at <= 6, `the second connection refused at ${at}, after the address's 30 units`);
    assert.match(b[at]!.error!.message, /per address/);
  });

  test('reconnecting does not reset the limits: the next connection of the address takes over the spent budget', async () => {
    await start({ rateLimit: 5 });
    const before = await sio();
    const sent = await burst(before, 5, 'message', (i) => ({ type: 'text', content: `m${i}` }));
    assert.ok(sent.every((a) => a.ok));
    before.disconnect();
    await waitUntil(() => chat!.io.of('/').sockets.size === 0, 'the first connection to be gone');
    const after = await sio();
    const refused = (await after.timeout(5000).emitWithAck('message', { type: 'text', content: 'more' })) as Answer;
    assert.equal(refused.error?.code, 'rate_limited');
    // Another address has its own.
    const elsewhere = await plain({ name: 'other' }, { localAddress: '127.0.0.2' });
    const accepted = await elsewhere.request('message', { type: 'text', content: 'fine' });
    assert.equal(accepted.ok, true);
  });

  test('with --trust-proxy the address is the X-Forwarded-For entry the proxy appended', async () => {
    await start({ rateLimit: 2, trustProxy: 1 });
    const viaProxy = (ip: string) => ({ extraHeaders: { 'X-Forwarded-For': `6.6.6.6, ${ip}` } });
    const one = await sio({ name: 'one' }, viaProxy('10.0.0.1'));
    assert.ok((await burst(one, 2, 'message', (i) => ({ type: 'text', content: `${i}` }))).every((a) => a.ok));
    one.disconnect();
    await waitUntil(() => chat!.io.of('/').sockets.size === 0, 'the first connection to be gone');
    // A different forwarded address is fresh although the TCP peer is the same; the same one takes
    // over the spent limit.
    const other = await plain({ name: 'other' }, { headers: { 'X-Forwarded-For': '10.0.0.2' } });
    assert.equal((await other.request('message', { type: 'text', content: 'y' })).ok, true);
    const again = await sio({ name: 'again' }, viaProxy('10.0.0.1'));
    assert.equal(((await again.timeout(5000).emitWithAck('message', { type: 'text', content: 'x' })) as Answer).ok, false);
  });
});

describe('chat limits: caps', () => {
  test('a connection may be in at most --max-rooms rooms (the lobby included): too_many_rooms', async () => {
    await start({ budget: 10_000, maxRooms: 5 });
    const client = await sio();
    const answers = await burst(client, 6, 'join', (i) => ({ room: `room-${i}` }));
    assert.deepEqual(
      answers.map((a) => a.ok),
      [true, true, true, true, false, false],
    );
    assert.equal(answers[4]!.error?.code, 'too_many_rooms');
    assert.match(answers[4]!.error!.message, /at most 5 rooms/);
    // Joining a room it is in still works; leaving one makes room.
    assert.equal(((await client.emitWithAck('join', { room: 'room-0' })) as Answer).ok, true);
    assert.equal(((await client.emitWithAck('leave', { room: 'room-0' })) as Answer).ok, true);
    assert.equal(((await client.emitWithAck('join', { room: 'room-9' })) as Answer).ok, true);

    const other = await plain();
    for (let i = 0; i < 4; i++) assert.equal((await other.request('join', { room: `p${i}` })).ok, true);
    const refused = await other.request('join', { room: 'p4' });
    assert.equal((refused.error as { code: string }).code, 'too_many_rooms');
  });

  test('a flood of joins leaves the connection in at most its cap of rooms, answered every time', async () => {
    // Heartbeats the fixture's 300/200 ms would miss on a loaded machine while 1,000 joins are handled.
    await start({ budget: 1_000_000, addressBudget: 1_000_000, pingInterval: 10_000, pingTimeout: 10_000 });
    const client = await sio();
    const answers = await burst(client, 1000, 'join', (i) => ({ room: `flood-${i}` }));
    assert.equal(answers.filter((a) => a.ok).length, 49);
    assert.ok(answers.slice(49).every((a) => a.error?.code === 'too_many_rooms'));
    const socket = [...chat!.io.of('/').sockets.values()][0]!;
    assert.equal(socket.rooms.size, 51, 'its own room, the lobby and 49 more');
  });

  test('connections per address are capped at the handshake, for every kind of client, with a clear 403', async () => {
    await start({ maxConnections: 3 });
    await sio();
    await plain();
    await sio({ name: 'polling' }, { transports: ['polling'] });
    const base = `http://127.0.0.1:${chat!.port}${chat!.options.path}`;

    const polling = await http(`${base}?EIO=4&transport=polling`);
    assert.equal(polling.status, 403);
    assert.match(polling.body.toString(), /too many connections from your address: at most 3/);

    const rawEngine = new WsClient(`ws://127.0.0.1:${chat!.port}${chat!.options.path}?EIO=4&transport=websocket`);
    const engineRefusal = await withTimeout(rawEngine.refused, 'the Engine.IO WebSocket refusal');
    assert.equal(engineRefusal.status, 403);

    const rawPlain = new WsClient(PlainChatClient.url(chat!, { name: 'fourth' }));
    const plainRefusal = await withTimeout(rawPlain.refused, 'the plain WebSocket refusal');
    assert.equal(plainRefusal.status, 403);
    assert.match(plainRefusal.body, /too many connections from your address/);

    const refusedClient = socketIoClient(chat!, { name: 'fourth' });
    await assert.rejects(refusedClient, /websocket error/);

    // Another address is not counted with this one.
    await plain({ name: 'elsewhere' }, { localAddress: '127.0.0.2' });
  });

  test('a session that leaves the namespace but stays open still holds its place until it closes', async () => {
    await start({ maxConnections: 1 });
    const raw = new WsClient(`ws://127.0.0.1:${chat!.port}${chat!.options.path}?EIO=4&transport=websocket`, {
      answerPings: true,
    });
    assert.match(await raw.nextText('the open packet'), /^0\{/);
    raw.send('40');
    assert.match(await raw.nextText('the CONNECT answer'), /^40\{/);
    raw.send('41');
    await waitUntil(() => chat!.io.of('/').sockets.size === 0, 'the socket to leave');
    const base = `http://127.0.0.1:${chat!.port}${chat!.options.path}`;
    assert.equal((await http(`${base}?EIO=4&transport=polling`)).status, 403, 'the open session still counts');
    await raw.close();
    await waitUntil(() => chat!.io.engine.clientsCount === 0, 'the session to close');
    const again = await http(`${base}?EIO=4&transport=polling`);
    assert.equal(again.status, 200, 'a closed session frees its place');
    for (const session of [...chat!.io.engine.sessions()]) session.close();
  });

  test('handshakes that never connect hold their place until the connect deadline', async () => {
    await start({ maxConnections: 2 });
    const base = `http://127.0.0.1:${chat!.port}${chat!.options.path}`;
    for (let i = 0; i < 2; i++) assert.equal((await http(`${base}?EIO=4&transport=polling`)).status, 200);
    const third = await http(`${base}?EIO=4&transport=polling`);
    assert.equal(third.status, 403);
    // Close the two sessions so the server can end cleanly.
    for (const session of [...chat!.io.engine.sessions()]) session.close();
  });
});
