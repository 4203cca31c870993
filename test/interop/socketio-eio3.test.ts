/**
 * Interop: old clients with `allowEIO3` (socket.io-client 2.x: Engine.IO v3, the Socket.IO v4
 * protocol), over polling, websocket and the upgrade: the implicit main namespace, events with
 * acks and binary, a namespace's middleware, query and refusal, the server's disconnect, the
 * heartbeat the client drives; without the option, no v2 client gets in. Raw v3 long-polling
 * checks the XHR2 binary payloads of clients that did not ask for base64. Run against parley and,
 * with PARLEY_TEST_AGAINST=socket.io, against socket.io itself.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import { decodeBinaryPayloadV3, encodePollingPayloadV3 } from '../../src/engine/v3/codec.js';
import {
  closeV2Clients,
  connectClientV2,
  forEachV2Transport,
  silenceV2Heartbeat,
  V2_TRANSPORT_SETUPS,
  type V2ClientSocket,
} from '../support/clients-v2.js';
import { cleanup, serverKind, startServer, waitFor, waitForArgs, whenServerUpgraded } from '../support/fixtures.js';
import { WsClient } from '../support/raw-clients.js';

afterEach(async () => {
  closeV2Clients();
  await cleanup();
});

const EIO3 = { allowEIO3: true } as const;

/** The next `event` a v2 client emits, with all its arguments. */
function nextV2(client: V2ClientSocket, event: string): Promise<unknown[]> {
  return waitForArgs(client, event);
}

forEachV2Transport((setup) => {
  test('connects, in the main namespace without asking, under the id the client made itself', async () => {
    const { io, url } = await startServer(EIO3);
    const connection = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClientV2(url, { setup });
    const socket = await connection;
    assert.equal(socket.id, client.id);
    assert.equal(socket.id, client.io.engine.id);
    if (setup.upgrades) await whenServerUpgraded(socket);
    const transport = setup.upgrades ? 'websocket' : setup.transports[0];
    assert.equal(client.io.engine.transport.name, transport);
    assert.equal(socket.conn.transport.name, transport);
    assert.deepEqual(socket.handshake.auth, {});
    assert.equal(socket.handshake.query.EIO, '3');
  });

  test('events with acks and binary travel both ways', async () => {
    const { io, url } = await startServer(EIO3);
    const connection = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClientV2(url, { setup });
    const socket = await connection;
    socket.on('echo', (bytes: Buffer, text: string, ack: (...args: unknown[]) => void) => {
      ack(Buffer.concat([bytes, Buffer.of(9)]), text.toUpperCase());
    });
    const [bytes, text] = await new Promise<unknown[]>((resolve) => {
      client.emit('echo', Buffer.of(1, 2), 'abc', (...args: unknown[]) => resolve(args));
    });
    assert.deepEqual(Buffer.from(bytes as Uint8Array), Buffer.of(1, 2, 9));
    assert.equal(text, 'ABC');

    client.on('ask', (n: number, data: Uint8Array, ack: (...args: unknown[]) => void) => {
      ack(n + 1, Buffer.concat([Buffer.from(data), Buffer.of(8)]));
    });
    const [n, back] = await new Promise<unknown[]>((resolve) => {
      socket.emit('ask', 41, Buffer.of(7), (...args: unknown[]) => resolve(args));
    });
    assert.equal(n, 42);
    assert.deepEqual(Buffer.from(back as Uint8Array), Buffer.of(7, 8));

    const heard = nextV2(client, 'news');
    socket.emit('news', { headline: 'v2 lives' }, Buffer.of(5));
    const [news, attachment] = await heard;
    assert.deepEqual(news, { headline: 'v2 lives' });
    assert.deepEqual(Buffer.from(attachment as Uint8Array), Buffer.of(5));
  });

  test('a namespace: its middleware sees the connection query in handshake.query and the namespace query in handshake.auth', async () => {
    const { io, url } = await startServer(EIO3);
    const seen: { id: string; query: Record<string, unknown>; auth: Record<string, unknown> }[] = [];
    io.of('/admin').use((socket, next) => {
      seen.push({ id: socket.id, query: { ...socket.handshake.query }, auth: { ...socket.handshake.auth } });
      next();
    });
    const connection = waitFor<ServerSocket>(io.of('/admin'), 'connection');
    const client = await connectClientV2(url, { setup, nsp: '/admin?token=abc&lang=fr' });
    const socket = await connection;
    assert.equal(socket.nsp.name, '/admin');
    assert.equal(socket.id, client.id);
    assert.equal(client.id, `/admin#${client.io.engine.id}`);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.id, client.id);
    assert.equal(seen[0]!.query.token, 'abc');
    assert.equal(seen[0]!.query.lang, 'fr');
    assert.equal(seen[0]!.query.EIO, '3');
    assert.deepEqual(seen[0]!.auth, { token: 'abc', lang: 'fr' });
    // The namespace's events reach it.
    socket.on('ping-admin', (ack: (answer: string) => void) => ack('pong-admin'));
    const answer = await new Promise<unknown>((resolve) => client.emit('ping-admin', resolve));
    assert.equal(answer, 'pong-admin');
  });

  test("a namespace middleware's refusal reaches the client as its error event: the message, or the data", async () => {
    const { io, url } = await startServer(EIO3);
    io.of('/closed').use((_socket, next) => next(new Error('nope')));
    io.of('/with-data').use((_socket, next) => next(Object.assign(new Error('nope'), { data: { code: 42 } })));
    const connected: string[] = [];
    io.of('/closed').on('connection', (s) => connected.push(s.id));
    await assert.rejects(connectClientV2(url, { setup, nsp: '/closed' }), /refused: "nope"/);
    await assert.rejects(connectClientV2(url, { setup, nsp: '/with-data' }), /refused: \{"code":42\}/);
    assert.deepEqual(connected, []);
  });

  test('a namespace that does not exist is refused as socket.io 4.8 refuses it to any client: {message}', async () => {
    const { url } = await startServer(EIO3);
    await assert.rejects(connectClientV2(url, { setup, nsp: '/nowhere' }), /refused: \{"message":"Invalid namespace"\}/);
  });

  test("the server's disconnect reaches the client: of its namespace, and of the whole connection", async () => {
    const { io, url } = await startServer(EIO3);
    const connection = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClientV2(url, { setup });
    const left = nextV2(client, 'disconnect');
    (await connection).disconnect();
    assert.deepEqual(await left, ['io server disconnect']);

    const again = waitFor<ServerSocket>(io.of('/room'), 'connection');
    const other = await connectClientV2(url, { setup, nsp: '/room' });
    const socket = await again;
    const otherLeft = nextV2(other, 'disconnect');
    const serverReason = waitFor<string>(socket, 'disconnect');
    socket.disconnect(true);
    assert.deepEqual(await otherLeft, ['io server disconnect']);
    assert.equal(await serverReason, 'server namespace disconnect');
  });

  test('heartbeat: the client pings, the server answers; it stays connected past several ping intervals', async () => {
    const { io, url } = await startServer({ ...EIO3, pingInterval: 100, pingTimeout: 200 });
    const connection = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClientV2(url, { setup });
    const socket = await connection;
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));
    for (let pongs = 0; pongs < 4; pongs++) await waitForArgs(client.io.engine, 'pong');
    assert.equal(client.connected, true);
    assert.equal(socket.connected, true);
    assert.deepEqual(reasons, []);
  });

  // engine.io 6.6 drops a v3 session's ping timer when it upgrades and never arms it again, so
  // socket.io never closes a silent upgraded v2 client: parley does, as it does before the upgrade.
  const keepsSilentUpgraded =
    setup.upgrades && serverKind === 'socket.io' ? 'socket.io never times out an upgraded v3 session' : false;
  test('heartbeat: a client that stops pinging is closed, for ping timeout', { skip: keepsSilentUpgraded }, async () => {
    const { io, url } = await startServer({ ...EIO3, pingInterval: 100, pingTimeout: 100 });
    const connection = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClientV2(url, { setup });
    const socket = await connection;
    if (setup.upgrades) await whenServerUpgraded(socket);
    const clientLeft = nextV2(client, 'disconnect');
    const reason = waitFor<string>(socket, 'disconnect');
    silenceV2Heartbeat(client);
    assert.equal(await reason, 'ping timeout');
    await clientLeft;
  });
});

describe('without allowEIO3', () => {
  for (const setup of V2_TRANSPORT_SETUPS.filter((s) => !s.upgrades)) {
    test(`a v2 client cannot connect [${setup.name}]`, async () => {
      const { io, url } = await startServer();
      let connections = 0;
      io.on('connection', () => connections++);
      await assert.rejects(connectClientV2(url, { setup }));
      assert.equal(connections, 0);
      assert.equal(io.engine.clientsCount, 0);
    });
  }

  test('an EIO=3 handshake gets "Unsupported protocol version"', async () => {
    const { url } = await startServer();
    const res = await exchange(`${url}/socket.io/?EIO=3&transport=polling`);
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body.toString('utf8')), { code: 5, message: 'Unsupported protocol version' });
  });
});

/** One HTTP request on a fresh connection: the status, content type and body bytes of its answer. */
function exchange(
  url: string,
  init: { method?: string; contentType?: string; body?: Buffer | string } = {},
): Promise<{ status: number; type: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = init.contentType === undefined ? {} : { 'Content-Type': init.contentType };
    const req = request(url, { method: init.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The packets of v3 long-polling answers, raw: text as their packet string, binary as Buffers. */
class RawV3Polling {
  constructor(
    readonly base: string,
    readonly sid: string,
  ) {}

  static async open(url: string): Promise<RawV3Polling> {
    const base = `${url}/socket.io/?EIO=3&transport=polling`;
    const text = (await exchange(base)).body.toString('utf8');
    const open = /^\d+:0(\{.*\})/.exec(text);
    assert.ok(open, `a v3 open packet, not ${text}`);
    return new RawV3Polling(base, (JSON.parse(open[1]!) as { sid: string }).sid);
  }

  /** One poll: its content type and its message packets' data. */
  async poll(): Promise<{ binary: boolean; messages: (string | Buffer)[] }> {
    const { type, body } = await exchange(`${this.base}&sid=${this.sid}`);
    const binary = type === 'application/octet-stream';
    const decoded = binary
      ? decodeBinaryPayloadV3(body)
      : { ok: true as const, value: textPayload(body.toString('utf8')) };
    assert.ok(decoded.ok, `a v3 payload: ${body.toString('latin1')}`);
    const messages = decoded.value.flatMap((p) => (p.type === 'message' ? [p.data] : []));
    return { binary, messages };
  }

  async post(body: string | Buffer): Promise<number> {
    const contentType = typeof body === 'string' ? 'text/plain;charset=UTF-8' : 'application/octet-stream';
    return (await exchange(`${this.base}&sid=${this.sid}`, { method: 'POST', contentType, body })).status;
  }
}

/** Message packets of a v3 text payload, read by hand (lengths in UTF-16 code units). */
function textPayload(payload: string): { type: 'message'; data: string }[] {
  const out: { type: 'message'; data: string }[] = [];
  let i = 0;
  while (i < payload.length) {
    const colon = payload.indexOf(':', i);
    const length = Number(payload.slice(i, colon));
    const packet = payload.slice(colon + 1, colon + 1 + length);
    if (packet.startsWith('4')) out.push({ type: 'message', data: packet.slice(1) });
    i = colon + 1 + length;
  }
  return out;
}

describe('v3 long-polling payloads, raw', () => {
  for (const [what, body] of [
    ['a length that is not a number', 'x:40'],
    ['a length past the end', '9:40'],
    ['a huge length', '99999999999999999999:40'],
    ['a bad binary payload', Buffer.of(0, 10, 0xff, 0x34)],
  ] as const) {
    test(`a body with ${what} closes the session, for parse error`, async () => {
      const { io, url } = await startServer(EIO3);
      const connection = waitFor<ServerSocket>(io, 'connection');
      const raw = await RawV3Polling.open(url);
      const socket = await connection;
      const reason = waitFor<string>(socket, 'disconnect');
      await raw.post(body);
      assert.equal(await reason, 'parse error');
    });
  }

  test('a client that did not ask for base64 gets binary in an XHR2 binary payload, and may post one', async () => {
    const { io, url } = await startServer(EIO3);
    const connection = waitFor<ServerSocket>(io, 'connection');
    const raw = await RawV3Polling.open(url);
    const socket = await connection;
    socket.emit('bin', Buffer.of(1, 2, 3));
    const messages: (string | Buffer)[] = [];
    let binary = false;
    while (!messages.some((m) => typeof m !== 'string')) {
      const answer = await raw.poll();
      binary ||= answer.binary;
      messages.push(...answer.messages);
    }
    assert.equal(binary, true);
    assert.deepEqual(messages, ['0', '51-["bin",{"_placeholder":true,"num":0}]', Buffer.of(1, 2, 3)]);

    const up = waitForArgs(socket, 'up');
    const payload = encodePollingPayloadV3(
      [
        { type: 'message', data: '51-["up","é",{"_placeholder":true,"num":0}]' },
        { type: 'message', data: Buffer.of(4, 5) },
      ],
      true,
    );
    assert.ok(Buffer.isBuffer(payload));
    assert.equal(await raw.post(payload), 200);
    const [text, bytes] = await up;
    assert.equal(text, 'é');
    assert.deepEqual(Buffer.from(bytes as Buffer), Buffer.of(4, 5));
    // The client closes (a close packet): the session ends at once on both servers.
    const gone = waitFor(socket, 'disconnect');
    assert.equal(await raw.post('1:1'), 200);
    assert.equal(await gone, 'transport close');
  });
});

/** A WebSocket URL under the default path with its trailing slash (socket.io's `io.path()` has none). */
function v3Url(port: number, query: Record<string, string>): string {
  return `ws://127.0.0.1:${port}/socket.io/?${new URLSearchParams(query)}`;
}

describe('v3 WebSocket frames and heartbeat, raw', () => {
  test('a ping is answered with a pong; binary goes with its type byte, or as b4<base64> to a client that asked for base64', async () => {
    const server = await startServer(EIO3);
    const sockets: ServerSocket[] = [];
    server.io.on('connection', (s) => sockets.push(s));
    for (const [query, expected] of [
      [{ EIO: '3', transport: 'websocket' }, Buffer.of(4, 1, 2)],
      [{ EIO: '3', transport: 'websocket', b64: '1' }, 'b4AQI='],
    ] as const) {
      const { client } = await WsClient.handshake(v3Url(server.port, query));
      assert.equal(await client.nextText('the CONNECT of /'), '40');
      client.send('2');
      assert.equal(await client.nextText('the pong'), '3');
      sockets.at(-1)!.emit('bin', Buffer.of(1, 2));
      assert.equal(await client.nextText('the binary event'), '451-["bin",{"_placeholder":true,"num":0}]');
      assert.deepEqual(await client.next('the attachment'), expected);
      client.terminate();
    }
  });

  test('a pong from a v3 client breaks the heartbeat: the session closes, for transport error', async () => {
    const server = await startServer(EIO3);
    const connection = waitFor<ServerSocket>(server.io, 'connection');
    const { client } = await WsClient.handshake(v3Url(server.port, { EIO: '3', transport: 'websocket' }));
    const socket = await connection;
    const reason = waitFor<string>(socket, 'disconnect');
    client.send('3');
    assert.equal(await reason, 'transport error');
    await client.closed;
  });

  test('an upgrade must speak the revision of its session: an EIO=4 WebSocket for a v3 session is refused', async () => {
    const server = await startServer(EIO3);
    const raw = await RawV3Polling.open(server.url);
    const probe = new WsClient(v3Url(server.port, { EIO: '4', transport: 'websocket', sid: raw.sid }));
    assert.equal((await probe.refused).status, 400);
    assert.equal(await raw.post('1:1'), 200);
  });
});
