/**
 * Interop: `io.engine` and `socket.conn` as socket.io 4.8 exposes them. The engine is an emitter of
 * `connection` (the very object of `socket.conn`), `connection_error` (engine.io's codes, messages
 * and contexts), `initial_headers` and `headers` (headers added are sent: polling answers and
 * WebSocket 101s); `clientsCount`; an assignable `generateId`. `socket.conn` emits `packet`,
 * `packetCreate`, `upgrading`, `upgrade`, `drain`, `heartbeat` and `close`, and reads `id`,
 * `transport.name`, `readyState`, `protocol`, `request`, `remoteAddress`.
 * Run against parley and, with PARLEY_TEST_AGAINST=socket.io, against socket.io itself.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import { WebSocket } from 'ws';
import {
  cleanup,
  connectClient,
  forEachTransport,
  makeClient,
  startServer,
  TRANSPORT_SETUPS,
  waitFor,
  waitForArgs,
  whenConnected,
} from '../support/fixtures.js';
import { http, RawPolling, WsClient } from '../support/raw-clients.js';

afterEach(cleanup);

const [POLLING, WEBSOCKET, UPGRADE] = TRANSPORT_SETUPS as [
  (typeof TRANSPORT_SETUPS)[0],
  (typeof TRANSPORT_SETUPS)[0],
  (typeof TRANSPORT_SETUPS)[0],
];

/** What a `connection_error` listener gets. */
interface ConnectionError {
  req: { url?: string; headers: IncomingHttpHeaders };
  code: number;
  message: string;
  context: Record<string, unknown> | undefined;
}

/** engine.io's conn, as far as these tests read it (socket.io types some members as private). */
interface Conn {
  id: string;
  protocol: number;
  readyState: string;
  remoteAddress: string;
  request: { url?: string; headers: IncomingHttpHeaders };
  transport: { name: string; writable: boolean };
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

function connOf(socket: ServerSocket): Conn {
  return socket.conn as unknown as Conn;
}

/** The headers of the 101 answer a WebSocket to `url` gets. */
function upgradeHeaders(url: string): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('upgrade', (res: IncomingMessage) => {
      resolve(res.headers);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe('io.engine: connection and clientsCount', () => {
  forEachTransport((setup) => {
    test('connection hands out the object that is socket.conn and socket.client.conn', async () => {
      const { io, url } = await startServer();
      const conns: unknown[] = [];
      io.engine.on('connection', (conn: unknown) => conns.push(conn));
      const connected = waitFor<ServerSocket>(io, 'connection');
      await connectClient(url, { setup });
      const socket = await connected;
      assert.equal(conns.length, 1);
      assert.equal(conns[0], socket.conn);
      assert.equal(socket.client.conn, socket.conn);
    });
  });

  test('clientsCount counts the open sessions', async () => {
    const { io, url } = await startServer();
    assert.equal(io.engine.clientsCount, 0);
    const first = await connectClient(url);
    await connectClient(url, { setup: WEBSOCKET });
    assert.equal(io.engine.clientsCount, 2);
    const firstSocket = [...io.of('/').sockets.values()].find((s) => s.id === first.id)!;
    const gone = waitFor(firstSocket.conn, 'close');
    first.disconnect();
    await gone;
    assert.equal(io.engine.clientsCount, 1);
  });
});

describe('io.engine: opts', () => {
  test('opts holds the engine options in force: those given to the server, defaults for the rest', async () => {
    const { io } = await startServer({ pingInterval: 24_000, pingTimeout: 6_000 });
    const opts = (io.engine as unknown as { opts: Record<string, unknown> }).opts;
    assert.equal(opts.pingInterval, 24_000);
    assert.equal(opts.pingTimeout, 6_000);
    assert.equal(opts.maxHttpBufferSize, 1e6);
    assert.equal(opts.upgradeTimeout, 10_000);
    assert.deepEqual(opts.transports, ['polling', 'websocket']);
    // socket.io's internal name for the engine reads the same.
    assert.equal((io as unknown as { eio: unknown }).eio, io.engine);
  });
});

describe('io.engine: generateId', () => {
  test('an id made by an assigned generateId names the session', async () => {
    const { io, url } = await startServer();
    const seen: string[] = [];
    io.engine.generateId = (req: IncomingMessage) => {
      seen.push(req.url ?? '');
      return `custom-${seen.length}`;
    };
    const connected = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClient(url, { setup: POLLING });
    const socket = await connected;
    assert.equal(connOf(socket).id, 'custom-1');
    assert.equal(client.io.engine.id, 'custom-1');
    assert.match(seen[0]!, /^\/socket\.io\/\?EIO=4&transport=polling/);
  });

  test('generateId may answer with a promise, over websocket too', async () => {
    const { io, url } = await startServer();
    io.engine.generateId = () => Promise.resolve('promised-id');
    const connected = waitFor<ServerSocket>(io, 'connection');
    await connectClient(url, { setup: WEBSOCKET });
    assert.equal(connOf(await connected).id, 'promised-id');
  });

  test('a generateId that throws refuses the handshake: 400 and connection_error ID_GENERATION_ERROR', async () => {
    const { io, url } = await startServer();
    const failure = new Error('no ids today');
    io.engine.generateId = () => {
      throw failure;
    };
    const error = waitFor<ConnectionError>(io.engine, 'connection_error');
    const answer = await http(`${url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(answer.status, 400);
    const err = await error;
    assert.equal(err.code, 3);
    assert.equal(err.message, 'Bad request');
    assert.deepEqual(err.context, { name: 'ID_GENERATION_ERROR', error: failure });
  });
});

describe('io.engine: connection_error', () => {
  const cases: { what: string; query: string; method?: string; code: number; message: string; context: object }[] = [
    { what: 'an unknown transport', query: 'EIO=4&transport=carrier-pigeon', code: 0, message: 'Transport unknown', context: { transport: 'carrier-pigeon' } },
    { what: 'an unknown sid', query: 'EIO=4&transport=polling&sid=nobody', code: 1, message: 'Session ID unknown', context: { sid: 'nobody' } },
    { what: 'a handshake that is not a GET', query: 'EIO=4&transport=polling', method: 'PUT', code: 2, message: 'Bad handshake method', context: { method: 'PUT' } },
    { what: 'a websocket handshake without an upgrade', query: 'EIO=4&transport=websocket', code: 3, message: 'Bad request', context: { name: 'TRANSPORT_HANDSHAKE_ERROR' } },
    { what: 'an Engine.IO v3 handshake', query: 'EIO=3&transport=polling', code: 5, message: 'Unsupported protocol version', context: { protocol: 3 } },
  ];
  for (const c of cases) {
    test(`${c.what}: code ${c.code} "${c.message}", with the request and its context`, async () => {
      const { io, url } = await startServer();
      const error = waitFor<ConnectionError>(io.engine, 'connection_error');
      const answer = await http(`${url}/socket.io/?${c.query}`, { method: c.method ?? 'GET' });
      assert.equal(answer.status, 400);
      const err = await error;
      assert.equal(err.code, c.code);
      assert.equal(err.message, c.message);
      assert.deepEqual(err.context, c.context);
      assert.equal(err.req.url, `/socket.io/?${c.query}`);
    });
  }

  test('allowRequest refusing: code 4 "Forbidden", its reason in the context and the answer', async () => {
    const { io, url } = await startServer({ allowRequest: (_req, callback) => callback('not you', false) });
    const error = waitFor<ConnectionError>(io.engine, 'connection_error');
    const answer = await http(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { 'x-who': 'me' } });
    assert.equal(answer.status, 403);
    assert.deepEqual(JSON.parse(answer.body), { code: 4, message: 'not you' });
    const err = await error;
    assert.equal(err.code, 4);
    assert.equal(err.message, 'Forbidden');
    assert.deepEqual(err.context, { message: 'not you' });
    assert.equal(err.req.headers['x-who'], 'me');
  });

  test('a polling request for a session now on websocket: code 3, TRANSPORT_MISMATCH', async () => {
    const { io, url } = await startServer();
    const { open } = await WsClient.handshake(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const error = waitFor<ConnectionError>(io.engine, 'connection_error');
    const answer = await http(`${url}/socket.io/?EIO=4&transport=polling&sid=${open.sid}`);
    assert.equal(answer.status, 400);
    const err = await error;
    assert.equal(err.code, 3);
    assert.deepEqual(err.context, { name: 'TRANSPORT_MISMATCH', transport: 'polling', previousTransport: 'websocket' });
  });

  test('an upgrade for an unknown sid: code 1, and the WebSocket is refused', async () => {
    const { io, url } = await startServer();
    const error = waitFor<ConnectionError>(io.engine, 'connection_error');
    const client = new WsClient(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket&sid=nobody`);
    await assert.rejects(client.opened);
    const err = await error;
    assert.equal(err.code, 1);
    assert.equal(err.message, 'Session ID unknown');
    assert.deepEqual(err.context, { sid: 'nobody' });
  });
});

describe('io.engine: initial_headers and headers', () => {
  test('polling: headers added to the handshake answer are sent; `headers` reaches every answer of the session', async () => {
    const { io, url } = await startServer();
    const seen: string[] = [];
    io.engine.on('initial_headers', (headers: OutgoingHttpHeaders, req: IncomingMessage) => {
      seen.push(`initial ${req.method}`);
      headers['x-initial'] = 'yes';
    });
    io.engine.on('headers', (headers: OutgoingHttpHeaders, req: IncomingMessage) => {
      seen.push(`headers ${req.method}`);
      headers['x-every'] = req.method;
    });
    const session = await RawPolling.handshake(`${url}/socket.io/`);
    assert.equal(session.answer.headers['x-initial'], 'yes');
    assert.equal(session.answer.headers['x-every'], 'GET');
    const posted = await session.post('40');
    assert.equal(posted.body, 'ok');
    assert.equal(posted.headers['x-every'], 'POST');
    assert.equal(posted.headers['x-initial'], undefined);
    const polled = await session.get();
    assert.match(polled.body, /^40/);
    assert.equal(polled.headers['x-every'], 'GET');
    assert.equal(polled.headers['x-initial'], undefined);
    assert.deepEqual(seen, ['initial GET', 'headers GET', 'headers POST', 'headers GET']);
    await session.post('1');
  });

  test('websocket: headers added are sent on the 101; an upgrade of a session gets `headers` only', async () => {
    const { io, url } = await startServer();
    const seen: string[] = [];
    io.engine.on('initial_headers', (headers: OutgoingHttpHeaders) => {
      seen.push('initial');
      headers['x-initial'] = 'yes';
    });
    io.engine.on('headers', (headers: OutgoingHttpHeaders) => {
      seen.push('headers');
      headers['x-every'] = 'yes';
    });
    const wsBase = `${url.replace('http', 'ws')}/socket.io/`;
    const handshake = await upgradeHeaders(`${wsBase}?EIO=4&transport=websocket`);
    assert.equal(handshake['x-initial'], 'yes');
    assert.equal(handshake['x-every'], 'yes');
    assert.deepEqual(seen.splice(0), ['initial', 'headers']);
    const session = await RawPolling.handshake(`${url}/socket.io/`);
    seen.length = 0;
    const probe = await upgradeHeaders(session.websocketUrl());
    assert.equal(probe['x-initial'], undefined);
    assert.equal(probe['x-every'], 'yes');
    assert.deepEqual(seen, ['headers']);
    await session.post('1');
  });

  test('a refused request gets no headers event', async () => {
    const { io, url } = await startServer();
    let events = 0;
    io.engine.on('headers', () => events++);
    const answer = await http(`${url}/socket.io/?EIO=4&transport=polling&sid=nobody`);
    assert.equal(answer.status, 400);
    assert.equal(events, 0);
  });
});

describe('socket.conn', () => {
  forEachTransport((setup) => {
    test('reads id, transport.name, readyState, protocol, request and remoteAddress; close tells the reason', async () => {
      const { io, url } = await startServer();
      const connected = waitFor<ServerSocket>(io, 'connection');
      const client = await connectClient(url, { setup, upgraded: true, query: { marker: 'm1' } });
      const socket = await connected;
      const conn = connOf(socket);
      assert.equal(conn.id, client.io.engine.id);
      if (setup.upgrades && conn.transport.name !== 'websocket') await waitFor(conn, 'upgrade');
      assert.equal(conn.transport.name, setup.finalTransport);
      assert.equal(conn.readyState, 'open');
      assert.equal(conn.protocol, 4);
      assert.match(conn.request.url ?? '', /marker=m1/);
      assert.equal(typeof conn.request.headers.host, 'string');
      assert.equal(conn.remoteAddress, '127.0.0.1');
      const closed = waitForArgs(conn, 'close');
      client.disconnect();
      const [reason] = await closed;
      assert.equal(reason, 'transport close');
      assert.equal(conn.readyState, 'closed');
    });

    test('packet sees each received packet: a message before its event handler runs, and each pong before heartbeat', async () => {
      const { io, url } = await startServer();
      const order: string[] = [];
      io.on('connection', (socket) => {
        socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
          order.push(packet.type === 'message' ? `packet message ${String(packet.data)}` : `packet ${packet.type}`);
        });
        socket.conn.on('heartbeat', () => order.push('heartbeat'));
        socket.on('hello', (value: string) => order.push(`handler ${value}`));
      });
      const client = await connectClient(url, { setup, upgraded: true });
      client.emit('hello', 'x');
      const socket = [...io.of('/').sockets.values()][0]!;
      await waitFor(socket.conn, 'heartbeat');
      const hello = order.indexOf('packet message 2["hello","x"]');
      assert.ok(hello !== -1, `no message packet in ${JSON.stringify(order)}`);
      assert.equal(order[hello + 1], 'handler x');
      const beat = order.indexOf('heartbeat');
      assert.equal(order[beat - 1], 'packet pong');
    });

    test('packetCreate sees each packet sent: messages with options.compress (true unless compress(false)), and pings', async () => {
      const { io, url } = await startServer();
      const connected = waitFor<ServerSocket>(io, 'connection');
      const client = await connectClient(url, { setup, upgraded: true });
      const socket = await connected;
      const created: { type: string; data?: unknown; options?: { compress?: boolean } }[] = [];
      socket.conn.on('packetCreate', (packet: (typeof created)[number]) => created.push(packet));
      const both = Promise.all([waitFor(client, 'a'), waitFor(client, 'b')]);
      socket.emit('a', 1);
      socket.compress(false).emit('b', 2);
      await both;
      assert.deepEqual(
        created.filter((p) => p.type === 'message').map((p) => [p.data, p.options?.compress]),
        [
          ['2["a",1]', true],
          ['2["b",2]', false],
        ],
      );
      await new Promise<void>((resolve) => {
        socket.conn.on('packetCreate', (packet: { type: string }) => {
          if (packet.type === 'ping') resolve();
        });
      });
      const ping = created.find((p) => p.type === 'ping');
      assert.equal(ping?.data, undefined);
      assert.equal(ping?.options?.compress, true);
    });

    test('drain follows the flush of what was sent', async () => {
      const { io, url } = await startServer();
      const connected = waitFor<ServerSocket>(io, 'connection');
      const client = await connectClient(url, { setup, upgraded: true });
      const socket = await connected;
      const drained = waitFor(socket.conn, 'drain');
      const heard = waitFor(client, 'flushed');
      socket.emit('flushed');
      await Promise.all([drained, heard]);
    });
  });

  test('the polling→websocket upgrade: upgrading, then upgrade, with the transport', async () => {
    const { io, url } = await startServer();
    const events: string[] = [];
    const upgraded = new Promise<void>((resolve) => {
      io.engine.on('connection', (conn: Conn) => {
        events.push(`connection on ${conn.transport.name}`);
        conn.on('upgrading', (transport: { name: string }) => events.push(`upgrading ${transport.name}`));
        conn.on('upgrade', (transport: { name: string }) => {
          events.push(`upgrade ${transport.name}, now on ${conn.transport.name}`);
          resolve();
        });
      });
    });
    const client = makeClient(url, { setup: UPGRADE });
    client.connect();
    await whenConnected(client);
    await upgraded;
    assert.deepEqual(events, ['connection on polling', 'upgrading websocket', 'upgrade websocket, now on websocket']);
  });
});
