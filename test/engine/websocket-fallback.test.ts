/**
 * The WebSocket fast paths (frames written straight to the socket, the one-write handshake) use
 * `ws` internals, checked once per process. With them missing (forced here through the check's
 * test hook), one warning line is printed and ws's public API carries everything: handshakes
 * (with extra 101 headers), text, binary, long runs in order, one message shared by many sessions
 * (a broadcast), messages from the client, the upgrade of a polling session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { OutboundMessage } from '../../src/engine/message.js';
import { overrideWsProbe, wsFastPaths } from '../../src/engine/transports/ws-internals.js';
import { waitUntil } from '../support/waiting.js';
import { WsClient } from '../support/raw-clients.js';
import { PARLEY, startServer } from '../support/servers.js';
import { engineStarter, type Fixture, pollingHandshake, q, wsUrl } from './support.js';

const warnings: string[] = [];
const realWarn = console.warn;

// ws's public API, counted: calls on server-side WebSockets (the test's clients are not) and
// handshakes ws's server answered.
const realSend = WebSocket.prototype.send;
const realHandleUpgrade = WebSocketServer.prototype.handleUpgrade;
const clientSockets = new WeakSet<WebSocket>();
let serverSends = 0;
let wsHandshakes = 0;
function countPublicApi(): void {
  WebSocket.prototype.send = function (this: WebSocket, ...args: Parameters<WebSocket['send']>) {
    if (!clientSockets.has(this)) serverSends++;
    return realSend.apply(this, args);
  } as WebSocket['send'];
  WebSocketServer.prototype.handleUpgrade = function (
    this: WebSocketServer,
    ...args: Parameters<WebSocketServer['handleUpgrade']>
  ) {
    wsHandshakes++;
    return realHandleUpgrade.apply(this, args);
  } as WebSocketServer['handleUpgrade'];
}
function newClient(url: string): WsClient {
  const c = new WsClient(url);
  clientSockets.add(c.ws);
  return c;
}

/** A websocket-only session: the client, once the open packet has arrived. */
async function wsSession(fixture: Fixture): Promise<{ client: WsClient }> {
  const { client } = await WsClient.handshake(wsUrl(fixture, q('websocket')));
  // Before the client sends anything: the handshake only reads.
  clientSockets.add(client.ws);
  return { client };
}

/** Frames after the open packet that are not pings. */
async function nextFrames(client: WsClient, n: number): Promise<(string | Buffer)[]> {
  const frames: (string | Buffer)[] = [];
  while (frames.length < n) frames.push(await client.nextNonPing());
  return frames;
}

describe('WebSockets without the ws internals (forced)', () => {
  const startEngine = engineStarter();
  let f: Fixture;
  before(async () => {
    console.warn = (...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    };
    countPublicApi();
    // The check sees a WebSocket whose sender has neither _state nor _queue.
    overrideWsProbe((ws) => ({ ...ws, _sender: {} }));
    f = await startEngine({ pingInterval: 5000, pingTimeout: 5000, cookie: true });
  });
  after(() => {
    console.warn = realWarn;
    WebSocket.prototype.send = realSend;
    WebSocketServer.prototype.handleUpgrade = realHandleUpgrade;
    overrideWsProbe(undefined);
  });

  test('text, binary and 500 messages in order reach the client, and its messages reach the session', async () => {
    const before = serverSends;
    const { client } = await wsSession(f);
    const record = f.records.at(-1)!;
    record.session.send('héllo');
    record.session.send(Buffer.from([0, 1, 2, 255]));
    for (let i = 0; i < 500; i++) record.session.send([`m${i}`, `n${i}`]);
    const frames = await nextFrames(client, 1002);
    assert.equal(frames[0], '4héllo');
    assert.deepEqual(frames[1], Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(
      frames.slice(2),
      Array.from({ length: 500 }, (_, i) => [`4m${i}`, `4n${i}`]).flat(),
    );
    client.send('4from client');
    client.send(Buffer.from([9, 8]));
    assert.deepEqual(await record.waitMessages(2), ['from client', Buffer.from([9, 8])]);
    // Each through ws.send (the open packet, 1002 messages), none written past it.
    assert.ok(serverSends - before >= 1003, `${serverSends - before} ws.send calls`);
    client.terminate();
  });

  test('one message shared by many sessions (a broadcast) reaches each of them once, in order', async () => {
    const clients: WsClient[] = [];
    for (let i = 0; i < 4; i++) clients.push((await wsSession(f)).client);
    const sessions = f.records.slice(-4).map((r) => r.session);
    const text = new OutboundMessage('to all');
    const binary = new OutboundMessage(Buffer.from('bin'));
    for (const s of sessions) s.send([text, binary]);
    for (const s of sessions) s.send(text);
    for (const client of clients) {
      assert.deepEqual(await nextFrames(client, 3), ['4to all', Buffer.from('bin'), '4to all']);
      client.terminate();
    }
  });

  test('the handshake (ws answers it, the Set-Cookie line added) and a polling upgrade work', async () => {
    const handshakesBefore = wsHandshakes;
    const client = newClient(wsUrl(f, q('websocket')));
    const cookie = new Promise<string | undefined>((resolve) => {
      client.ws.once('upgrade', (res) => resolve(res.headers['set-cookie']?.[0]));
    });
    await client.opened;
    const open = JSON.parse(((await client.next()) as string).slice(1)) as { sid: string };
    assert.match((await cookie) ?? '', new RegExp(`^io=${open.sid};`));
    client.terminate();

    const polling = await pollingHandshake(f);
    const record = await f.session(polling.open.sid);
    const probe = newClient(wsUrl(f, q('websocket', polling.open.sid)));
    await probe.opened;
    probe.send('2probe');
    assert.equal(await probe.next(), '3probe');
    probe.send('5');
    await waitUntil(() => record.session.transport === 'websocket', 'the upgrade', 3000);
    record.session.send('after upgrade');
    assert.equal(await probe.nextNonPing(), '4after upgrade');
    assert.equal(wsHandshakes - handshakesBefore, 2, 'both handshakes answered by ws');
    probe.terminate();
  });

  test('plain WebSocket clients get text, binary and broadcasts in order through ws.send', async () => {
    const server = await startServer({}, PARLEY);
    try {
      const peers: WsClient[] = [];
      for (let i = 0; i < 3; i++) {
        const peer = newClient(server.wsUrl({ name: `p${i}` }));
        assert.equal(((await peer.nextJson('the connect frame')) as { event: string }).event, 'connect');
        peers.push(peer);
      }
      const before = serverSends;
      const sockets = [...server.io.of('/').sockets.values()];
      sockets[0]!.emit('direct', 'héllo');
      for (let i = 0; i < 50; i++) server.io.emit('tick', i);
      server.io.emit('bin', Buffer.from([7, 7]));
      assert.deepEqual(await peers[0]!.nextJson('the direct event'), { event: 'direct', data: 'héllo' });
      for (const peer of peers) {
        for (let i = 0; i < 50; i++) assert.deepEqual(await peer.nextJson(`tick ${i}`), { event: 'tick', data: i });
        assert.deepEqual(await peer.nextJson('the binary envelope'), { event: 'bin', data: { _placeholder: true, num: 0 }, attachments: 1 });
        assert.deepEqual(await peer.nextBinary('the attachment'), Buffer.from([7, 7]));
      }
      // Every frame went through ws.send: 1 direct + 3 × (50 + 2).
      assert.ok(serverSends - before >= 1 + 3 * 52, `${serverSends - before} ws.send calls`);
      for (const peer of peers) peer.terminate();
    } finally {
      await server.close();
    }
  });

  test('the missing internals were reported in one warning line', () => {
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /^parley: ws internals missing \(_sender\._state, _sender\._queue\)/);
  });
});

describe('WebSockets with the ws internals there', () => {
  test('the check passes without a warning', () => {
    const seen: string[] = [];
    console.warn = (...args: unknown[]) => {
      seen.push(args.map(String).join(' '));
    };
    try {
      overrideWsProbe(undefined);
      assert.equal(wsFastPaths(), true);
      assert.deepEqual(seen, []);
    } finally {
      console.warn = realWarn;
    }
  });
});
