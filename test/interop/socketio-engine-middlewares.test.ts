/**
 * Interop: `io.engine.use()` (Engine.IO middlewares, engine.io 6.6) and `io.engine.clients`, as
 * socket.io 4.8 has them. Middlewares run in order on every HTTP request of the engine (handshake,
 * polls, posts, WebSocket upgrades); what they add to a handshake's request is on
 * `socket.request` (express-session's `req.session` included, with socket.io's documented
 * recipe); `next(err)` refuses with 400 and `connection_error` context MIDDLEWARE_FAILURE; a
 * middleware may answer the request itself. `io.engine.clients[id]` is `socket.conn`.
 * Run against parley and, with PARLEY_TEST_AGAINST=socket.io, against socket.io itself.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, test } from 'node:test';
import session, { type Session } from 'express-session';
import type { Socket as ServerSocket } from 'socket.io';
import {
  cleanup,
  connectClient,
  forEachTransport,
  makeClient,
  serverKind,
  startServer,
  TRANSPORT_SETUPS,
  waitFor,
  waitForArgs,
  waitUntil,
} from '../support/fixtures.js';
import { http, RawPolling, WsClient } from '../support/raw-clients.js';
import { PARLEY } from '../support/servers.js';

afterEach(cleanup);

const [POLLING, WEBSOCKET, UPGRADE] = TRANSPORT_SETUPS as [
  (typeof TRANSPORT_SETUPS)[0],
  (typeof TRANSPORT_SETUPS)[0],
  (typeof TRANSPORT_SETUPS)[0],
];

/** A middleware as engine.io calls it (socket.io types `use` as taking anything). */
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** The request as middlewares see it on engine.io: its query parameters in `_query`. */
type EngineRequest = IncomingMessage & { _query: Record<string, string>; user?: string };

/** What the express-session tests keep in a session. */
type AppSession = Session & { user?: string; visits?: number };

/** socket.io's `connection_error` argument, as far as these tests read it. */
interface ConnectionError {
  code: number;
  message: string;
  context: { name?: string } | undefined;
}

function useOn(io: { engine: unknown }, middleware: Middleware): void {
  (io.engine as { use(fn: Middleware): void }).use(middleware);
}

/** engine.io types `clients` as protected: the tests read it as socket.io's docs do. */
function clientsOf(io: { engine: unknown }): Record<string, unknown> {
  return (io.engine as { clients: Record<string, unknown> }).clients;
}

function requestOf(socket: ServerSocket): { user?: string; session?: AppSession } {
  return socket.request as unknown as { user?: string; session?: AppSession };
}

/** express-session's middleware (typed on express's request), as an engine middleware. */
function sessionMiddleware(): Middleware {
  return session({ secret: 'keyboard cat', resave: false, saveUninitialized: false }) as unknown as Middleware;
}

/**
 * The docs' pattern: a route on the same HTTP server, through the same session middleware, that
 * stores `user` (and counts visits) in the session. Answers only its own path.
 */
function loginRoute(httpServer: { on(event: 'request', l: (req: IncomingMessage, res: ServerResponse) => void): unknown }, sessions: Middleware): void {
  httpServer.on('request', (req, res) => {
    if (!req.url?.startsWith('/login')) return;
    sessions(req, res, () => {
      const s = (req as IncomingMessage & { session: AppSession }).session;
      s.user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? 'alice';
      s.visits = (s.visits ?? 0) + 1;
      res.end('ok');
    });
  });
}

/** A websocket-only Engine.IO handshake's URL. */
function websocketUrl(url: string): string {
  return `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
}

/** The `name=value` part of the session cookie an answer sets. */
function sessionCookie(setCookie: string[] | undefined): string {
  const cookie = setCookie?.find((c) => c.startsWith('connect.sid='));
  assert.ok(cookie, `a session cookie (got ${JSON.stringify(setCookie)})`);
  return cookie.split(';')[0]!;
}

describe('io.engine.use(): what middlewares add to the request is on socket.request', () => {
  forEachTransport((setup) => {
    test('req.user set by a middleware is socket.request.user and socket.conn.request.user', async () => {
      const { io, url } = await startServer();
      useOn(io, (req, _res, next) => {
        const r = req as EngineRequest;
        if (r._query.sid === undefined) r.user = `user-of-${r._query.transport}`;
        next();
      });
      const connected = waitFor<ServerSocket>(io, 'connection');
      await connectClient(url, { setup, upgraded: true });
      const socket = await connected;
      const first = setup.name === 'websocket' ? 'websocket' : 'polling';
      assert.equal(requestOf(socket).user, `user-of-${first}`);
      assert.equal((socket.conn.request as unknown as { user?: string }).user, `user-of-${first}`);
    });

    test('express-session: a value set over HTTP is read in socket.request.session, by the session cookie', async () => {
      const { io, url, httpServer } = await startServer();
      const sessions = sessionMiddleware();
      loginRoute(httpServer, sessions);
      useOn(io, sessions);
      const login = await http(`${url}/login?user=bob`);
      assert.equal(login.status, 200);
      const cookie = sessionCookie(login.headers['set-cookie']);
      const connected = waitFor<ServerSocket>(io, 'connection');
      await connectClient(url, { setup, upgraded: true, extraHeaders: { cookie } });
      const socket = await connected;
      const s = requestOf(socket).session;
      assert.equal(s?.user, 'bob');
      assert.equal(s?.id, cookie.slice('connect.sid=s%3A'.length).split('.')[0]);
      // A client without the cookie has a session of its own, without the value.
      const other = waitFor<ServerSocket>(io, 'connection');
      await connectClient(url, { setup });
      assert.equal(requestOf(await other).session?.user, undefined);
    });

    test('express-session: socket.request.session.reload() sees what HTTP changed since (the docs recipe)', async () => {
      const { io, url, httpServer } = await startServer();
      const sessions = sessionMiddleware();
      loginRoute(httpServer, sessions);
      useOn(io, sessions);
      const cookie = sessionCookie((await http(`${url}/login?user=carol`)).headers['set-cookie']);
      const connected = waitFor<ServerSocket>(io, 'connection');
      await connectClient(url, { setup, extraHeaders: { cookie } });
      const socket = await connected;
      assert.equal(requestOf(socket).session?.visits, 1);
      await http(`${url}/login?user=dave`, { headers: { cookie } });
      await new Promise<void>((resolve, reject) =>
        requestOf(socket).session?.reload((err: unknown) => (err ? reject(err) : resolve())),
      );
      assert.equal(requestOf(socket).session?.user, 'dave');
      assert.equal(requestOf(socket).session?.visits, 2);
    });
  });

  test('the upgrade request runs the middlewares too; socket.request stays the handshake request', async () => {
    const { io, url } = await startServer();
    const seen: string[] = [];
    useOn(io, (req, _res, next) => {
      const r = req as EngineRequest;
      seen.push(r._query.transport ?? '');
      r.user = r._query.transport;
      next();
    });
    const connected = waitFor<ServerSocket>(io, 'connection');
    await connectClient(url, { setup: UPGRADE, upgraded: true });
    const socket = await connected;
    assert.ok(seen.includes('websocket'), `an upgrade request went through the middleware (${seen})`);
    assert.equal(requestOf(socket).user, 'polling');
  });
});

describe('io.engine.use(): headers middlewares set', () => {
  test('a header set with res.setHeader is in the polling handshake answer and in the WebSocket 101', async () => {
    const { io, url } = await startServer();
    useOn(io, (req, res, next) => {
      res.setHeader('X-Middleware', `on-${(req as EngineRequest)._query.transport}`);
      next();
    });
    const polling = await RawPolling.handshake(`${url}/socket.io/`);
    assert.equal(polling.answer.headers['x-middleware'], 'on-polling');
    const ws = new WsClient(websocketUrl(url));
    const upgrade = await new Promise<IncomingMessage>((resolve) => ws.ws.once('upgrade', resolve));
    assert.equal(upgrade.headers['x-middleware'], 'on-websocket');
    await ws.opened;
    ws.ws.close();
    await ws.closed;
    await polling.post('1');
  });

  test('express-session sets its cookie on the WebSocket 101 of a new session (saveUninitialized)', async () => {
    const { io, url } = await startServer();
    useOn(io, session({ secret: 'keyboard cat', resave: false, saveUninitialized: true }) as unknown as Middleware);
    const ws = new WsClient(websocketUrl(url));
    const upgrade = await new Promise<IncomingMessage>((resolve) => ws.ws.once('upgrade', resolve));
    sessionCookie(upgrade.headers['set-cookie']);
    await ws.opened;
    ws.ws.close();
    await ws.closed;
  });
});

describe('io.engine.use(): order and which requests', () => {
  test('middlewares run in the order added, on the handshake and on every later poll and post', async () => {
    const { io, url } = await startServer();
    const calls: string[] = [];
    const record =
      (name: string): Middleware =>
      (req, _res, next) => {
        const q = (req as EngineRequest)._query;
        calls.push(`${name}:${req.method}:${q.sid === undefined ? 'handshake' : 'session'}`);
        next();
      };
    useOn(io, record('a'));
    useOn(io, record('b'));
    const connected = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClient(url, { setup: POLLING });
    const socket = await connected;
    socket.on('ping', (ack: (v: string) => void) => ack('pong'));
    assert.equal(await client.timeout(2000).emitWithAck('ping'), 'pong');
    assert.deepEqual(calls.slice(0, 2), ['a:GET:handshake', 'b:GET:handshake']);
    for (let i = 0; i < calls.length; i += 2) {
      assert.equal(calls[i]?.replace(/^a:/, 'b:'), calls[i + 1], `a then b for each request (${calls})`);
    }
    assert.ok(calls.includes('a:POST:session'), `posts run them (${calls})`);
    assert.ok(calls.includes('a:GET:session'), `polls run them (${calls})`);
  });

  test('a middleware that calls next twice, or throws after next, lets the request go on once', async () => {
    const { io, url } = await startServer();
    let second = 0;
    useOn(io, (_req, _res, next) => {
      next();
      next();
      throw new Error('after next');
    });
    useOn(io, (_req, _res, next) => {
      second++;
      next();
    });
    const connected = waitFor<ServerSocket>(io, 'connection');
    await connectClient(url, { setup: WEBSOCKET });
    await connected;
    assert.equal(second, 1);
  });
});

describe('io.engine.use(): refusals', () => {
  test('next(err) on a polling handshake: 400 "Bad request", connection_error MIDDLEWARE_FAILURE, no session', async () => {
    const { io, url } = await startServer();
    useOn(io, (_req, _res, next) => next(new Error('nope')));
    const failed = waitFor<ConnectionError>(io.engine, 'connection_error');
    const answer = await http(`${url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(answer.status, 400);
    assert.deepEqual(JSON.parse(answer.body), { code: 3, message: 'Bad request' });
    const err = await failed;
    assert.equal(err.code, 3);
    assert.equal(err.message, 'Bad request');
    assert.deepEqual(err.context, { name: 'MIDDLEWARE_FAILURE' });
    assert.equal(io.engine.clientsCount, 0);
  });

  test('an async middleware that rejects refuses as next(err) does', async () => {
    const { io, url } = await startServer();
    useOn(io, async () => {
      throw new Error('rejected');
    });
    const failed = waitFor<ConnectionError>(io.engine, 'connection_error');
    assert.equal((await http(`${url}/socket.io/?EIO=4&transport=polling`)).status, 400);
    assert.deepEqual((await failed).context, { name: 'MIDDLEWARE_FAILURE' });
  });

  test('next(err) on a WebSocket handshake: 400, connection_error MIDDLEWARE_FAILURE', async () => {
    const { io, url } = await startServer();
    useOn(io, (_req, _res, next) => next(new Error('nope')));
    const failed = waitFor<ConnectionError>(io.engine, 'connection_error');
    const ws = new WsClient(websocketUrl(url));
    assert.equal((await ws.refused).status, 400);
    const err = await failed;
    assert.equal(err.code, 3);
    assert.deepEqual(err.context, { name: 'MIDDLEWARE_FAILURE' });
  });

  forEachTransport((setup) => {
    test('the official client gets connect_error when a middleware refuses its handshake', async () => {
      const { io, url } = await startServer();
      useOn(io, (_req, _res, next) => next(new Error('nope')));
      const client = makeClient(url, { setup });
      const failed = waitFor<ConnectionError>(io.engine, 'connection_error');
      const error = waitFor<Error>(client, 'connect_error');
      client.connect();
      assert.ok((await error) instanceof Error);
      assert.deepEqual((await failed).context, { name: 'MIDDLEWARE_FAILURE' });
    });
  });

  test('next(err) on the upgrade of a polling session: the upgrade fails, the session goes on over polling', async () => {
    const { io, url } = await startServer();
    useOn(io, (req, _res, next) => {
      next((req as EngineRequest)._query.transport === 'websocket' ? new Error('no websocket') : undefined);
    });
    const failed = waitFor<ConnectionError>(io.engine, 'connection_error');
    const connected = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClient(url, { setup: UPGRADE });
    const socket = await connected;
    assert.deepEqual((await failed).context, { name: 'MIDDLEWARE_FAILURE' });
    socket.on('ping', (ack: (v: string) => void) => ack('pong'));
    assert.equal(await client.timeout(2000).emitWithAck('ping'), 'pong');
    assert.equal(socket.conn.transport.name, 'polling');
  });

  test('next(err) after the middleware began its own answer: that answer is ended, connection_error MIDDLEWARE_FAILURE', async () => {
    const { io, url } = await startServer();
    useOn(io, (_req, res, next) => {
      res.writeHead(403);
      next(new Error('half an answer'));
    });
    const failed = waitFor<ConnectionError>(io.engine, 'connection_error');
    const answer = await http(`${url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(answer.status, 403);
    assert.equal(answer.body, '');
    assert.deepEqual((await failed).context, { name: 'MIDDLEWARE_FAILURE' });
  });

  test('the client files and CORS preflights are answered before the middlewares', async () => {
    const { io, url } = await startServer({ cors: { origin: 'http://example.com' } });
    let runs = 0;
    useOn(io, (_req, _res, next) => {
      runs++;
      next(new Error('refuse all'));
    });
    assert.equal((await http(`${url}/socket.io/socket.io.js`)).status, 200);
    const preflight = await http(`${url}/socket.io/?EIO=4&transport=polling`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.com', 'access-control-request-method': 'GET' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'http://example.com');
    assert.equal(runs, 0);
  });

  test('a middleware that answers a polling handshake itself (401): that answer, no session, no connection_error', async () => {
    const { io, url } = await startServer();
    let refusals = 0;
    io.engine.on('connection_error', () => refusals++);
    useOn(io, (_req, res) => {
      res.writeHead(401, { 'X-Reason': 'login first' });
      res.end('login first');
    });
    const answer = await http(`${url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(answer.status, 401);
    assert.equal(answer.headers['x-reason'], 'login first');
    assert.equal(answer.body, 'login first');
    assert.equal(io.engine.clientsCount, 0);
    assert.equal(refusals, 0);
  });

  test("a middleware's own answer carries the engine's CORS headers", async () => {
    const { io, url } = await startServer({ cors: { origin: 'http://example.com' } });
    useOn(io, (_req, res) => {
      res.writeHead(401);
      res.end();
    });
    const answer = await http(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'http://example.com' } });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers['access-control-allow-origin'], 'http://example.com');
  });

  test('a middleware that answers a WebSocket upgrade itself: no session, no connection_error', async () => {
    const { io, url } = await startServer();
    let refusals = 0;
    io.engine.on('connection_error', () => refusals++);
    useOn(io, (_req, res) => {
      res.writeHead(401);
      res.end();
    });
    const ws = new WsClient(websocketUrl(url));
    await assert.rejects(ws.opened);
    if (serverKind === 'parley') {
      // engine.io 6.6 closes the socket without an answer; parley sends the middleware's.
      assert.equal((await ws.refused).status, 401);
    }
    await ws.closed;
    assert.equal(io.engine.clientsCount, 0);
    assert.equal(refusals, 0);
  });
});

describe('io.engine.clients', () => {
  forEachTransport((setup) => {
    test('io.engine.clients[socket.conn.id] is socket.conn, until the connection closes', async () => {
      const { io, url } = await startServer();
      const connected = waitFor<ServerSocket>(io, 'connection');
      const client = await connectClient(url, { setup, upgraded: true });
      const socket = await connected;
      const clients = clientsOf(io);
      // engine.io types the id as private.
      const id = (socket.conn as unknown as { id: string }).id;
      assert.equal(clients[id], socket.conn);
      assert.ok(id in clients);
      assert.deepEqual(Object.keys(clients), [id]);
      assert.deepEqual(Object.values(clients), [socket.conn]);
      const closed = waitForArgs(socket.conn as unknown as Parameters<typeof waitForArgs>[0], 'close');
      client.disconnect();
      await closed;
      await waitUntil(() => Object.keys(clients).length === 0, 'the session to leave io.engine.clients');
      assert.equal(clients[id], undefined);
    });
  });
});

describe("io.engine.use() with parley's own HTTP path (ownHttp)", () => {
  const skip = serverKind === 'socket.io' ? 'ownHttp is a parley option' : false;
  for (const setup of [POLLING, WEBSOCKET]) {
    test(`middlewares added after attach see the ${setup.name} requests (node:http answers them)`, { skip }, async () => {
      const { io, url } = await startServer({ ownHttp: true }, PARLEY);
      // A session over the engine's own path first: its connection is taken over already.
      const before = await RawPolling.handshake(`${url}/socket.io/`);
      assert.ok(before.sid);
      const sessions = sessionMiddleware();
      io.engine.use(sessions);
      io.engine.use((req, _res, next) => {
        (req as EngineRequest).user = 'eve';
        next();
      });
      const connected = waitFor<ServerSocket>(io as unknown as Parameters<typeof waitFor>[0], 'connection');
      await connectClient(url, { setup });
      const socket = await connected;
      assert.equal(requestOf(socket).user, 'eve');
      assert.ok(requestOf(socket).session?.id, 'express-session ran');
      await new RawPolling(`${url}/socket.io/`, before.sid).post('1');
    });
  }
});

describe('io.engine.use() and plain WebSocket clients (parley)', () => {
  const skip = serverKind === 'socket.io' ? 'plain WebSocket clients are parley' : false;

  test('a refusing middleware refuses a plain WebSocket upgrade too: 400, connection_error MIDDLEWARE_FAILURE, no socket', { skip }, async () => {
    const { io, wsUrl } = await startServer({ plainWebSocket: true }, PARLEY);
    useOn(io, (_req, _res, next) => next(new Error('not signed in')));
    let connections = 0;
    io.on('connection', () => connections++);
    const failed = waitFor<ConnectionError>(io.engine, 'connection_error');
    const ws = new WsClient(wsUrl());
    assert.equal((await ws.refused).status, 400);
    assert.deepEqual((await failed).context, { name: 'MIDDLEWARE_FAILURE' });
    assert.equal(connections, 0);
  });

  test("a plain client's 101 carries the headers middlewares set, and what they add to the request is on socket.request", { skip }, async () => {
    const { io, wsUrl } = await startServer({ plainWebSocket: true }, PARLEY);
    useOn(io, (req, res, next) => {
      (req as EngineRequest).user = 'plain-user';
      res.setHeader('X-Middleware', 'seen');
      next();
    });
    const connected = waitFor<ServerSocket>(io, 'connection');
    const ws = new WsClient(wsUrl());
    const upgrade = await new Promise<IncomingMessage>((resolve) => ws.ws.once('upgrade', resolve));
    assert.equal(upgrade.headers['x-middleware'], 'seen');
    const socket = await connected;
    assert.equal(requestOf(socket).user, 'plain-user');
    ws.ws.close();
    await ws.closed;
  });
});
