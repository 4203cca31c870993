/**
 * @socket.io/admin-ui on the server under test: `instrument(io, { auth: false })` serves its `/admin`
 * namespace, whose events a socket.io-client reads here as the dashboard does (config, all_sockets,
 * server_stats, socket_connected, room_joined, event_received, event_sent, socket_disconnected) and
 * whose commands (emit, join, _disconnect) act on the server's sockets; then the dashboard itself
 * (the package's ui/dist, served by a static file server) in headless Chromium lists the server's
 * sockets and rooms. Run against parley and, with PARLEY_TEST_AGAINST=socket.io, against socket.io.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { instrument } from '@socket.io/admin-ui';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import type { Socket as ServerSocket } from 'socket.io';
import {
  type ClientSocket,
  cleanup,
  connectClient,
  makeClient,
  startServer,
  waitFor,
  waitForArgs,
  waitUntil,
  whenConnected,
} from '../support/fixtures.js';
import { closeHttp, listenOnLoopback } from '../support/loopback.js';
import { requirePeer } from '../support/requirements.js';
import type { ServerOptions as SUTOptions } from '../support/server-under-test.js';

/** What the page scripts below use of the browser's globals (the tests compile without DOM types). */
interface PageGlobals {
  localStorage: { setItem(key: string, value: string): void };
  document: { body: { textContent: string } };
}

afterEach(cleanup);

/** A socket as the admin namespace describes it. */
interface AdminSocket {
  id: string;
  clientId: string;
  transport: string;
  nsp: string;
  data: Record<string, unknown>;
  handshake: { address: string; query: Record<string, string>; url: string; headers: Record<string, string> };
  rooms: string[];
}

interface ServerStats {
  serverId: string;
  clientsCount: number;
  pollingClientsCount: number;
  namespaces: { name: string; socketsCount: number }[];
  aggregatedEvents: { type: string; subType?: string; count: number }[];
}

/** An instrumented server with one application client in room `room-a`. */
async function instrumented(options: SUTOptions = {}) {
  // Long heartbeats: nothing here tests them, and a busy machine must not cut a client mid-test.
  const server = await startServer(
    { pingInterval: 10_000, pingTimeout: 5000, ...options },
    { implementation: 'under-test', namespaces: ['/admin'] },
  );
  const { io } = server;
  io.on('connection', (socket) => {
    socket.join('room-a');
    socket.data.user = 'alice';
    socket.on('hello', (value: number, ack?: (v: number) => void) => ack?.(value + 1));
  });
  instrument(io, { auth: false, mode: 'development' });
  const connected = waitFor<ServerSocket>(io, 'connection');
  const app = await connectClient(server.url, { query: { app: '1' }, transports: ['websocket'] });
  const appSocket = await connected;
  return { ...server, app, appSocket };
}

/** server_stats come every 2 s: a guard of several periods. */
const STATS_MS = 10_000;

/** The admin client, with the first config and all_sockets it gets, and its first server_stats to await. */
async function admin(url: string) {
  const client = makeClient(url, { nsp: '/admin' });
  const config = waitFor<{ supportedFeatures: string[] }>(client, 'config');
  const all = waitFor<AdminSocket[]>(client, 'all_sockets');
  const stats = waitFor<ServerStats>(client, 'server_stats', STATS_MS);
  stats.catch(() => {});
  await whenConnected(client);
  return { client, config: await config, all: await all, stats };
}

describe('admin UI: the /admin namespace', () => {
  test('config, all_sockets and server_stats describe the server, its namespaces, sockets and rooms', async () => {
    const { url, app } = await instrumented();
    const { config, all, stats: firstStats } = await admin(url);
    const stats = await firstStats;
    for (const feature of [
      'EMIT',
      'JOIN',
      'LEAVE',
      'DISCONNECT',
      'MJOIN',
      'MLEAVE',
      'MDISCONNECT',
      'AGGREGATED_EVENTS',
      'ALL_EVENTS',
    ]) {
      assert.ok(
        config.supportedFeatures.includes(feature),
        `feature ${feature} in ${config.supportedFeatures}`,
      );
    }
    const listed = all.find((s) => s.id === app.id);
    assert.ok(listed, `the app socket in ${JSON.stringify(all.map((s) => [s.nsp, s.id]))}`);
    assert.equal(listed.nsp, '/');
    assert.equal(listed.transport, 'websocket');
    assert.equal(listed.clientId, app.io.engine.id.slice(0, 12));
    assert.deepEqual(listed.data, { user: 'alice' });
    assert.deepEqual(new Set(listed.rooms), new Set([app.id, 'room-a']));
    assert.equal(listed.handshake.query.app, '1');
    assert.equal(listed.handshake.address, '127.0.0.1');
    assert.ok(
      all.some((s) => s.nsp === '/admin'),
      'the admin socket is listed too',
    );
    assert.equal(stats.clientsCount, 2);
    assert.equal(typeof stats.pollingClientsCount, 'number');
    const namespaces = Object.fromEntries(stats.namespaces.map((n) => [n.name, n.socketsCount]));
    assert.equal(namespaces['/'], 1);
    assert.equal(namespaces['/admin'], 1);
  });

  test('live events: socket_connected, room_joined, event_received, event_sent, room_left, socket_disconnected', async () => {
    const { io, url } = await instrumented();
    const { client } = await admin(url);
    const connected = waitForArgs(client, 'socket_connected');
    const joined: unknown[][] = [];
    client.on('room_joined', (...args: unknown[]) => joined.push(args));
    const other = await connectClient(url, { transports: ['polling'] });
    const [described] = (await connected) as [AdminSocket];
    assert.equal(described.id, other.id);
    assert.equal(described.transport, 'polling');
    await waitUntil(
      () => joined.some(([nsp, room, id]) => nsp === '/' && room === 'room-a' && id === other.id),
      `room_joined of room-a by ${other.id}`,
    );
    const received = waitForArgs(client, 'event_received');
    assert.equal(await other.emitWithAck('hello', 41), 42);
    const [nsp, id, args] = await received;
    assert.deepEqual([nsp, id, args], ['/', other.id, ['hello', 41]]);
    const sent = waitForArgs(client, 'event_sent');
    const otherSocket = io.of('/').sockets.get(other.id!)!;
    otherSocket.emit('news', 'fresh');
    const [sentNsp, sentId, sentArgs] = await sent;
    assert.deepEqual([sentNsp, sentId, sentArgs], ['/', other.id, ['news', 'fresh']]);
    const left = waitForArgs(client, 'room_left');
    const disconnected = waitForArgs(client, 'socket_disconnected');
    const otherId = other.id;
    other.disconnect();
    const [leftNsp, , leftId] = await left;
    assert.deepEqual([leftNsp, leftId], ['/', otherId]);
    const [goneNsp, goneId, reason] = await disconnected;
    assert.deepEqual([goneNsp, goneId, reason], ['/', otherId, 'client namespace disconnect']);
  });

  test('server_stats aggregate the traffic: raw connections, packets and bytes in and out', async () => {
    const { url } = await instrumented();
    const { client } = await admin(url);
    // The traffic may straddle a tick: what the stats report from now on, together.
    const types = new Set<string>();
    const wanted = ['rawConnection', 'packetsIn', 'bytesIn', 'packetsOut', 'bytesOut'];
    client.on('server_stats', (stats: ServerStats) => {
      for (const event of stats.aggregatedEvents) types.add(event.type);
    });
    const other = await connectClient(url);
    await other.emitWithAck('hello', 1);
    await waitUntil(() => wanted.every((type) => types.has(type)), `${wanted} in the stats`, STATS_MS);
  });

  test('commands act on the sockets: emit to a room, join, disconnect', async () => {
    const { io, url, app } = await instrumented();
    const { client } = await admin(url);
    const heard = waitForArgs(app, 'from-admin');
    client.emit('emit', '/', 'room-a', 'from-admin', 1, 'two');
    assert.deepEqual(await heard, [1, 'two']);
    const joined = waitForArgs(client, 'room_joined');
    client.emit('join', '/', 'room-b', app.id);
    assert.deepEqual((await joined).slice(0, 3), ['/', 'room-b', app.id]);
    assert.ok(io.of('/').sockets.get(app.id!)!.rooms.has('room-b'));
    const gone = waitFor<string>(app, 'disconnect');
    client.emit('_disconnect', '/', false, app.id);
    assert.equal(await gone, 'io server disconnect');
  });
});

describe('admin UI: what it reads of the server', () => {
  test("the adapter emits socket.io-adapter's create-room, join-room, leave-room and delete-room", async () => {
    const { io, url } = await startServer();
    const events: string[] = [];
    const adapter = io.of('/').adapter;
    adapter.on('create-room', (room: string) => events.push(`create ${room}`));
    adapter.on('join-room', (room: string, id: string) => events.push(`join ${room} ${id}`));
    adapter.on('leave-room', (room: string, id: string) => events.push(`leave ${room} ${id}`));
    adapter.on('delete-room', (room: string) => events.push(`delete ${room}`));
    const connected = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClient(url);
    const socket = await connected;
    const id = socket.id;
    socket.join(['r1', 'r2']);
    const peer = waitFor<ServerSocket>(io, 'connection');
    await connectClient(url);
    const other = await peer;
    other.join('r1');
    socket.leave('r2');
    const gone = waitFor(socket, 'disconnect');
    client.disconnect();
    await gone;
    assert.deepEqual(events, [
      `create ${id}`,
      `join ${id} ${id}`,
      'create r1',
      `join r1 ${id}`,
      'create r2',
      `join r2 ${id}`,
      `create ${other.id}`,
      `join ${other.id} ${other.id}`,
      `join r1 ${other.id}`,
      `leave r2 ${id}`,
      'delete r2',
      `leave ${id} ${id}`,
      `delete ${id}`,
      `leave r1 ${id}`,
    ]);
  });

  test('io._nsps lists the namespaces; socket.client.id is the session id; a namespace can prepend a connection listener', async () => {
    const { io, url } = await startServer();
    io.of('/other');
    const internals = io as unknown as { _nsps: Map<string, unknown> };
    assert.deepEqual([...internals._nsps.keys()].sort(), ['/', '/other']);
    assert.equal(internals._nsps.get('/'), io.of('/'));
    const order: string[] = [];
    io.on('connection', () => order.push('appended'));
    io.of('/').prependListener('connection', () => order.push('prepended'));
    const connected = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClient(url);
    const socket = await connected;
    assert.deepEqual(order, ['prepended', 'appended']);
    const clientId = (socket.client as unknown as { id: string }).id;
    assert.equal(clientId, client.io.engine.id);
  });
});

const CHROMIUM = '/usr/bin/chromium';
const UI_DIST = join(
  dirname(createRequire(import.meta.url).resolve('@socket.io/admin-ui/package.json')),
  'ui',
  'dist',
);
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** A static file server of the dashboard's ui/dist, on its own origin (as admin.socket.io is). */
async function serveDashboard(): Promise<{ url: string; http: HttpServer }> {
  const http = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!));
    const file = join(UI_DIST, path === '/' ? 'index.html' : path);
    if (!file.startsWith(UI_DIST)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) =>
        res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  const port = await listenOnLoopback(http);
  return { url: `http://127.0.0.1:${port}`, http };
}

describe('admin UI: the dashboard in Chromium', () => {
  let browser: Browser | undefined;
  before(async () => {
    if (!existsSync(CHROMIUM)) return;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
        '--disable-quic',
      ],
    });
  });
  after(async () => {
    await browser?.close();
  });

  test('lists the server, its sockets, rooms and events', async (t) => {
    if (!requirePeer(t, 'Chromium', browser !== undefined, 'apt-get install chromium')) return;
    const dashboard = await serveDashboard();
    t.after(() => closeHttp(dashboard.http));
    const { url, app } = await instrumented({
      cors: { origin: dashboard.url, credentials: true },
    });
    const context = await browser!.newContext();
    try {
      await driveDashboard(context, dashboard.url, url, app);
    } finally {
      // Before the fixtures' cleanup, which waits for the page's session to end.
      await context.close();
    }
  });
});

/** Opens the dashboard's pages one by one: each must show what the server has. */
async function driveDashboard(
  context: BrowserContext,
  dashboardUrl: string,
  url: string,
  app: ClientSocket,
): Promise<void> {
  // The page's fonts and icons come from CDNs: nothing leaves the machine.
  await context.route('**/*', (route) =>
    new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
  );
  // Where the dashboard connects, as its connection form saves it: it connects at once on load.
  await context.addInitScript((serverUrl: string) => {
    const { localStorage } = globalThis as unknown as PageGlobals;
    localStorage.setItem('server_url', serverUrl);
    localStorage.setItem('namespace', '/admin');
    localStorage.setItem('path', '/socket.io');
    localStorage.setItem('ws_only', 'false');
  }, url);
  const problems: string[] = [];
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(err.message));
  const shows = async (text: string): Promise<void> => {
    try {
      await page.waitForFunction(
        (wanted: string) => (globalThis as unknown as PageGlobals).document.body.textContent.includes(wanted),
        text,
        { timeout: 10_000 },
      );
    } catch (err) {
      const shown = await page.evaluate(
        () => (globalThis as unknown as PageGlobals).document.body.textContent,
      );
      throw new Error(`the dashboard does not show ${text}; it shows: ${shown.slice(0, 2000)}`, {
        cause: err,
      });
    }
  };
  await page.goto(`${dashboardUrl}/#/sockets/`);
  await shows(app.id!);
  await page.goto(`${dashboardUrl}/#/rooms/`);
  await shows('room-a');
  await app.emitWithAck('hello', 1);
  await page.goto(`${dashboardUrl}/#/events/`);
  await shows('hello');
  await page.goto(`${dashboardUrl}/#/servers/`);
  await shows(String(process.pid));
  assert.deepEqual(problems, []);
}

export type { ClientSocket };
