/**
 * Where the Engine.IO spec leaves room, what the reference server (engine.io 6.6 under socket.io
 * 4.8) answers, with raw HTTP and WebSocket clients: closing over long-polling, a second WebSocket
 * for one session, and heartbeat deadlines kept to the millisecond. The server under test is parley
 * or, with `PARLEY_TEST_AGAINST=socket.io`, the official server (how these expectations were
 * checked). Timings are the reference test suite's: pingInterval 300 ms, pingTimeout 200 ms.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { cleanup, startServer } from '../support/fixtures.js';
import { packets, RawPolling, WsClient } from '../support/raw-clients.js';

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;

afterEach(cleanup);

/** A server whose sockets leave on a `kick` event (server-side `disconnect(true)`). */
async function kickingServer() {
  const server = await startServer({ pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT });
  server.io.on('connection', (socket) => {
    socket.on('kick', () => socket.disconnect(true));
  });
  return { ...server, base: `${server.url}/socket.io/` };
}

/** Opens a polling session and connects it to the main namespace. */
async function connectedSession(base: string): Promise<RawPolling> {
  const session = await RawPolling.handshake(base);
  assert.equal((await session.post('40')).body, 'ok');
  const reply = packets((await session.get()).body);
  assert.match(reply[0] ?? '', /^40\{"sid":/);
  return session;
}

describe('engine reference behaviours over long-polling', () => {
  test('a second GET while one is held: the held GET gets a close packet, the second 400, then the sid is gone', async () => {
    const { base } = await kickingServer();
    const session = await RawPolling.handshake(base);
    const { answer: first } = await session.heldGet();
    const second = await session.get();
    assert.equal(second.status, 400);
    const released = await first;
    assert.equal(released.status, 200);
    assert.deepEqual(packets(released.body), ['1']);
    assert.equal((await session.get()).status, 400);
  });

  test('a client close packet while a GET is held: the POST gets ok, the GET a noop, then the sid is gone', async () => {
    const { base } = await kickingServer();
    const session = await RawPolling.handshake(base);
    const { answer: held } = await session.heldGet();
    const posted = await session.post('1');
    assert.equal(posted.status, 200);
    assert.equal(posted.body, 'ok');
    const released = await held;
    assert.equal(released.status, 200);
    assert.deepEqual(packets(released.body), ['6']);
    assert.equal((await session.get()).status, 400);
  });

  test('a server-side disconnect(true): DISCONNECT first, then noop and close in the next GET', async () => {
    const { base } = await kickingServer();
    const session = await connectedSession(base);
    assert.equal((await session.post('42["kick"]')).body, 'ok');
    assert.deepEqual(packets((await session.get()).body), ['41']);
    assert.deepEqual(packets((await session.get()).body), ['6', '1']);
    assert.equal((await session.get()).status, 400);
  });

  test('a server-side disconnect(true) with a GET held: it gets the DISCONNECT, the next GET noop and close', async () => {
    const { base } = await kickingServer();
    const session = await connectedSession(base);
    const { answer: held } = await session.heldGet();
    assert.equal((await session.post('42["kick"]')).body, 'ok');
    assert.deepEqual(packets((await held).body), ['41']);
    assert.deepEqual(packets((await session.get()).body), ['6', '1']);
    assert.equal((await session.get()).status, 400);
  });

  test('a protocol violation with no GET held: the next GET gets noop then close', async () => {
    const { base } = await kickingServer();
    const session = await connectedSession(base);
    // An Engine.IO message that is no Socket.IO packet.
    assert.equal((await session.post('4junk')).body, 'ok');
    assert.deepEqual(packets((await session.get()).body), ['6', '1']);
    assert.equal((await session.get()).status, 400);
  });

  test('a protocol violation with a GET held: the held GET gets the close packet', async () => {
    const { base } = await kickingServer();
    const session = await connectedSession(base);
    const { answer: held } = await session.heldGet();
    assert.equal((await session.post('4junk')).body, 'ok');
    assert.deepEqual(packets((await held).body), ['1']);
    assert.equal((await session.get()).status, 400);
  });
});

describe('engine reference behaviours over WebSocket', () => {
  test('a second WebSocket for an upgraded session completes its handshake and is closed; the first goes on', async () => {
    const { base } = await kickingServer();
    const session = await RawPolling.handshake(base);
    const first = new WsClient(session.websocketUrl());
    await first.opened;
    first.answerPings();
    first.send('2probe');
    assert.equal(await first.next(), '3probe');
    first.send('5');
    // The CONNECT reply proves the server handled the upgrade packet sent before it.
    first.send('40');
    assert.match((await first.nextNonPing()) as string, /^40\{"sid":/);
    const second = new WsClient(session.websocketUrl());
    await second.opened;
    await second.closed;
    first.send('41');
    assert.equal((await session.get()).status, 400, 'polling is over');
    // The first WebSocket still carries the session: a new namespace connection is answered.
    first.send('40');
    assert.match((await first.nextNonPing()) as string, /^40\{"sid":/);
    first.terminate();
  });

  test('a second WebSocket while the first is probing is closed after its handshake; the upgrade completes', async () => {
    const { base } = await kickingServer();
    const session = await RawPolling.handshake(base);
    const first = new WsClient(session.websocketUrl());
    await first.opened;
    first.answerPings();
    first.send('2probe');
    assert.equal(await first.next(), '3probe');
    const second = new WsClient(session.websocketUrl());
    await second.opened;
    await second.closed;
    first.send('5');
    first.send('40');
    assert.match((await first.nextNonPing()) as string, /^40\{"sid":/);
    first.terminate();
  });

  test('an upgrade for an unknown sid is still an HTTP 400', async () => {
    const { base } = await kickingServer();
    const client = new WsClient(`${base.replace(/^http/, 'ws')}?EIO=4&transport=websocket&sid=nope`);
    assert.equal((await client.refused).status, 400);
  });
});

describe('engine reference heartbeat deadlines', () => {
  test('a silent polling session is gone pingInterval + pingTimeout after its handshake', async () => {
    const { base } = await kickingServer();
    // As the reference test suite: sleep exactly pingInterval + pingTimeout after the handshake
    // answer, then poll. The server's deadline started before it answered, so it has passed.
    // The sleep is the behaviour under test (the deadline as a client sees it), not a wait for state.
    for (let i = 0; i < 3; i++) {
      const session = await RawPolling.handshake(base);
      await new Promise((resolve) => setTimeout(resolve, PING_INTERVAL + PING_TIMEOUT));
      assert.equal((await session.get()).status, 400, `round ${i}`);
    }
  });

  test('a polling session that answers every ping stays', async () => {
    const { base } = await kickingServer();
    const session = await RawPolling.handshake(base);
    for (let i = 0; i < 3; i++) {
      const ping = await session.get();
      assert.equal(ping.body, '2');
      assert.equal((await session.post('3')).status, 200);
    }
    assert.equal((await session.post('1')).body, 'ok');
  });

  test('a silent WebSocket session is closed after its ping goes unanswered', async () => {
    const { url } = await kickingServer();
    const client = new WsClient(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
    await client.opened;
    assert.equal(((await client.next()) as string)[0], '0');
    assert.equal(await client.next(), '2');
    await client.closed;
  });
});
