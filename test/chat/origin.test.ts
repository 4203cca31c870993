/**
 * The chat's origin policy through its public interface: browser pages (requests with `Origin`) of
 * the server's own origin or a listed one are accepted, others refused with 403 and a message
 * naming the flag, on every way in (polling handshake, Engine.IO WebSocket, plain WebSocket); requests
 * without `Origin` are accepted; polling answers carry CORS headers for allowed origins only; the
 * page comes with a Content-Security-Policy.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { ChatServerOptions, RunningChat } from '../../src/chat/server.js';
import { type ClientSocket, closeClients, connectClient, makeClient } from '../support/clients.js';
import { type HttpAnswer, http, type Refusal, WsClient } from '../support/raw-clients.js';
import { assertNoSessions } from '../support/sessions.js';
import { waitFor, withTimeout } from '../support/waiting.js';
import { startChat } from './support.js';

const EVIL = 'https://evil.example';
const EVIL_REFUSAL = `origin ${EVIL} is not allowed: start the server with --cors-origin ${EVIL} (or CHAT_CORS_ORIGIN)`;

let chat: RunningChat | undefined;

afterEach(async () => {
  await closeClients();
  if (chat) {
    await assertNoSessions(chat.io);
    await chat.close();
    chat = undefined;
  }
});

async function start(options: Partial<ChatServerOptions> = {}): Promise<RunningChat> {
  chat = await startChat(options);
  return chat;
}

/** The server's own origin, as a browser on the page would send it. */
function own(c: RunningChat): string {
  return `http://127.0.0.1:${c.port}`;
}

function base(c: RunningChat): string {
  return `${own(c)}${c.options.path}`;
}

/** A raw polling handshake with these headers. */
function pollingHandshake(c: RunningChat, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return http(`${base(c)}?EIO=4&transport=polling`, { headers });
}

/** Ends a session opened by a raw polling handshake (the server holds none afterwards). */
async function closePolling(c: RunningChat, answer: HttpAnswer): Promise<void> {
  const sid = (JSON.parse(answer.body.slice(1)) as { sid: string }).sid;
  await http(`${base(c)}?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '1' });
}

/** A raw Engine.IO WebSocket handshake; `wsOptions` carry the Origin. */
function engineWs(
  c: RunningChat,
  options: { origin?: string; headers?: Record<string, string> } = {},
): WsClient {
  return new WsClient(`${base(c).replace(/^http/, 'ws')}?EIO=4&transport=websocket`, {
    answerPings: true,
    ...options,
  });
}

/** A plain WebSocket (no EIO), as `new WebSocket('ws://host/ws/chat/')` in a browser. */
function plainWs(
  c: RunningChat,
  options: { origin?: string; headers?: Record<string, string> } = {},
): WsClient {
  return new WsClient(`${base(c).replace(/^http/, 'ws')}?name=tester`, options);
}

/** Resolves once the WebSocket is open and its first frame (Engine.IO open packet, plain connect frame) arrived. */
async function accepted(client: WsClient, what: string): Promise<void> {
  await withTimeout(client.opened, what);
  const first = await client.nextText(`the first frame of ${what}`);
  assert.ok(first.startsWith('0{') || first.includes('"connect"'), `${what}: first frame ${first}`);
  await client.close();
}

/** Resolves with the HTTP answer of a refused upgrade, checked to be a 403 with `message`. */
async function refusedWith(client: WsClient, message: string): Promise<Refusal> {
  const refusal = await withTimeout(client.refused, 'the refused upgrade');
  assert.equal(refusal.status, 403);
  assert.match(String(refusal.headers['content-type']), /application\/json/);
  assert.deepEqual(JSON.parse(refusal.body), { code: 4, message });
  await client.closed;
  return refusal;
}

function assertRefusedPolling(answer: HttpAnswer, message: string): void {
  assert.equal(answer.status, 403);
  assert.deepEqual(JSON.parse(answer.body), { code: 4, message });
  assert.equal(answer.headers['access-control-allow-origin'], undefined);
  assert.equal(answer.headers['access-control-allow-credentials'], undefined);
}

/** A socket.io-client refused at connect: resolves with its connect_error. */
async function connectError(socket: ClientSocket): Promise<Error & { description?: unknown }> {
  const err = await waitFor<Error & { description?: unknown }>(socket, 'connect_error');
  assert.equal(socket.connected, false);
  return err;
}

describe('chat origin policy: same origin by default', () => {
  test('the own origin is accepted with the official client over polling and websocket, CORS headers reflecting it', async () => {
    const c = await start();
    for (const transports of [['polling'], ['websocket']] as const) {
      const socket = await connectClient(own(c), {
        path: c.options.path,
        transports: [...transports],
        extraHeaders: { Origin: own(c) },
      });
      assert.equal(socket.connected, true);
      socket.disconnect();
    }
    const answer = await pollingHandshake(c, { Origin: own(c) });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['access-control-allow-origin'], own(c));
    assert.equal(answer.headers['access-control-allow-credentials'], 'true');
    assert.match(String(answer.headers.vary), /Origin/);
    await closePolling(c, answer);
    // The same origin written with its default port, or in capitals, is the same origin.
    const wsSame = plainWs(c, { origin: `HTTP://127.0.0.1:${c.port}` });
    await accepted(wsSame, 'a plain WebSocket from the own origin');
  });

  test('requests without Origin (apps, servers, CLIs) are accepted on every way in, while a foreign origin is refused', async () => {
    const c = await start();
    const socket = await connectClient(own(c), { path: c.options.path, transports: ['polling'] });
    socket.disconnect();
    const answer = await pollingHandshake(c);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['access-control-allow-origin'], undefined);
    await closePolling(c, answer);
    await accepted(engineWs(c), 'an Engine.IO WebSocket without Origin');
    await accepted(plainWs(c), 'a plain WebSocket without Origin');
    assertRefusedPolling(await pollingHandshake(c, { Origin: EVIL }), EVIL_REFUSAL);
  });

  test('a foreign origin is refused with 403 and a message naming the flag: polling handshake', async () => {
    const c = await start();
    assertRefusedPolling(await pollingHandshake(c, { Origin: EVIL }), EVIL_REFUSAL);
    // The official client gets the 403 as its connect_error (it drops the body it had).
    const socket = makeClient(own(c), {
      path: c.options.path,
      transports: ['polling'],
      extraHeaders: { Origin: EVIL },
    });
    const err = await connectError(socket);
    assert.equal(err.message, 'xhr poll error');
    assert.equal(err.description, 403);
    assert.equal(c.io.engine.clientsCount, 0);
  });

  test('a foreign origin is refused with 403 and the message: Engine.IO WebSocket', async () => {
    const c = await start();
    await refusedWith(engineWs(c, { origin: EVIL }), EVIL_REFUSAL);
    const socket = makeClient(own(c), {
      path: c.options.path,
      transports: ['websocket'],
      extraHeaders: { Origin: EVIL },
    });
    const err = await connectError(socket);
    assert.equal(err.message, 'websocket error');
    assert.equal(c.io.engine.clientsCount, 0);
  });

  test('a foreign origin is refused with 403 and the message: plain WebSocket', async () => {
    const c = await start();
    await refusedWith(plainWs(c, { origin: EVIL }), EVIL_REFUSAL);
    // Another port of the same host is another origin.
    const otherPort = `http://127.0.0.1:${c.port + 1}`;
    await refusedWith(
      plainWs(c, { headers: { Origin: otherPort } }),
      `origin ${otherPort} is not allowed: start the server with --cors-origin ${otherPort} (or CHAT_CORS_ORIGIN)`,
    );
    assert.equal(c.io.plain?.clientsCount ?? 0, 0);
  });

  test('Origin: null (sandboxed frames, file:// pages) is refused, a malformed Origin too', async () => {
    const c = await start({ corsOrigins: ['https://app.example'] });
    const nullRefusal =
      'origin null (a sandboxed frame or a file:// page) is not allowed: only --cors-origin "*" (or CHAT_CORS_ORIGIN=*) accepts it';
    assertRefusedPolling(await pollingHandshake(c, { Origin: 'null' }), nullRefusal);
    await refusedWith(engineWs(c, { origin: 'null' }), nullRefusal);
    await refusedWith(plainWs(c, { origin: 'null' }), nullRefusal);
    await refusedWith(
      plainWs(c, { origin: 'https://app.example/' }),
      'origin "https://app.example/" is not an origin (scheme://host[:port]): refused',
    );
  });

  test('a listed origin is accepted on every way in, with CORS headers; others still refused', async () => {
    const app = 'https://app.example';
    const c = await start({ corsOrigins: [app, 'http://localhost:3000'] });
    const socket = await connectClient(own(c), {
      path: c.options.path,
      transports: ['polling'],
      extraHeaders: { Origin: app },
    });
    socket.disconnect();
    const answer = await pollingHandshake(c, { Origin: app });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['access-control-allow-origin'], app);
    assert.equal(answer.headers['access-control-allow-credentials'], 'true');
    await closePolling(c, answer);
    await accepted(engineWs(c, { origin: app }), 'an Engine.IO WebSocket from a listed origin');
    await accepted(plainWs(c, { origin: 'http://localhost:3000' }), 'a plain WebSocket from a listed origin');
    await refusedWith(plainWs(c, { origin: EVIL }), EVIL_REFUSAL);
    assertRefusedPolling(
      await pollingHandshake(c, { Origin: 'http://app.example' }),
      'origin http://app.example is not allowed: start the server with --cors-origin http://app.example (or CHAT_CORS_ORIGIN)',
    );
  });

  test("'*' accepts every origin, null included, reflecting it with credentials", async () => {
    const c = await start({ corsOrigins: ['*'] });
    for (const origin of [EVIL, 'null']) {
      const answer = await pollingHandshake(c, { Origin: origin });
      assert.equal(answer.status, 200, origin);
      assert.equal(answer.headers['access-control-allow-origin'], origin);
      assert.equal(answer.headers['access-control-allow-credentials'], 'true');
      await closePolling(c, answer);
      await accepted(engineWs(c, { origin }), `an Engine.IO WebSocket from ${origin}`);
      await accepted(plainWs(c, { origin }), `a plain WebSocket from ${origin}`);
    }
    const socket = await connectClient(own(c), {
      path: c.options.path,
      transports: ['websocket'],
      extraHeaders: { Origin: EVIL },
    });
    socket.disconnect();
  });

  test('a preflight (OPTIONS) is answered with Access-Control-Allow-Origin for an allowed origin only', async () => {
    const app = 'https://app.example';
    const c = await start({ corsOrigins: [app] });
    const preflight = (origin: string) =>
      http(`${base(c)}?EIO=4&transport=polling`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type',
        },
      });
    const allowed = await preflight(app);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], app);
    assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
    assert.match(String(allowed.headers['access-control-allow-methods']), /POST/);
    assert.equal(allowed.headers['access-control-allow-headers'], 'content-type');
    const refused = await preflight(EVIL);
    assert.equal(refused.status, 204);
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
    assert.equal(refused.headers['access-control-allow-methods'], undefined);
    assert.match(String(refused.headers.vary), /Origin/);
  });

  test('behind trusted proxies the origin they were reached at (X-Forwarded-Proto/-Host) is the own origin', async () => {
    const proxied = { 'X-Forwarded-Host': 'chat.example, internal:8000', 'X-Forwarded-Proto': 'https' };
    const page = 'https://chat.example';
    const refusal = `origin ${page} is not allowed: start the server with --cors-origin ${page} (or CHAT_CORS_ORIGIN)`;
    // Not trusted: the headers are anyone's, the page is foreign.
    const untrusting = await start();
    assertRefusedPolling(await pollingHandshake(untrusting, { ...proxied, Origin: page }), refusal);
    await refusedWith(plainWs(untrusting, { origin: page, headers: proxied }), refusal);
    await assertNoSessions(untrusting.io);
    await untrusting.close();
    chat = undefined;

    const c = await start({ trustProxy: 1 });
    const answer = await pollingHandshake(c, { ...proxied, Origin: page });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['access-control-allow-origin'], page);
    await closePolling(c, answer);
    await accepted(
      engineWs(c, { origin: page, headers: proxied }),
      'an Engine.IO WebSocket through the proxy',
    );
    await accepted(plainWs(c, { origin: page, headers: proxied }), 'a plain WebSocket through the proxy');
    // The proxy's scheme counts: http://chat.example is not the page.
    await refusedWith(
      plainWs(c, { origin: 'http://chat.example', headers: proxied }),
      'origin http://chat.example is not allowed: start the server with --cors-origin http://chat.example (or CHAT_CORS_ORIGIN)',
    );
  });

  test('the page is served with a Content-Security-Policy allowing only its own scripts and server', async () => {
    const c = await start();
    for (const path of ['/', '/app.js']) {
      const answer = await http(`${own(c)}${path}`);
      assert.equal(answer.status, 200);
      const csp = String(answer.headers['content-security-policy']);
      const directives = new Map(
        csp.split(';').map((d) => {
          const [name, ...values] = d.trim().split(/\s+/);
          return [name, values.join(' ')] as const;
        }),
      );
      assert.equal(directives.get('default-src'), "'none'", csp);
      assert.equal(directives.get('script-src'), "'self'", csp);
      assert.equal(directives.get('style-src'), "'self'", csp);
      assert.equal(directives.get('connect-src'), "'self'", csp);
      assert.equal(directives.get('frame-ancestors'), "'none'", csp);
      assert.equal(directives.get('base-uri'), "'none'", csp);
    }
    // The page has no inline script or style for the policy to block.
    const page = (await http(`${own(c)}/`)).body;
    assert.doesNotMatch(page, /<script(?![^>]*\ssrc=)[^>]*>/i);
    assert.doesNotMatch(page, /<style|\sstyle=|\son[a-z]+=/i);
  });
});
