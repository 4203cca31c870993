/**
 * The chat web page in real headless Chromium (Debian's `chromium`, driven by playwright-core): one
 * page on the official Socket.IO client, one on the plain WebSocket transport, talking to each other
 * through the chat server, under the page's Content-Security-Policy: any violation Chromium reports
 * fails the test. Screenshots go to test-results/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, type TestContext, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type ChatServerOptions, type RunningChat, startChatServer } from '../../src/chat/server.js';
import { requirePeer } from '../support/requirements.js';
import { waitFor, waitUntil, withTimeout } from '../support/waiting.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const RESULTS = 'test-results';
/** How long any DOM condition may take before the test fails: generous, but far from a hang. */
const WAIT_MS = 5000;

type Transport = 'socketio' | 'plain';

/** One browser for the whole file; each test gets its own server, each page its own context. */
let browser: Browser | undefined;

before(async () => {
  if (!available) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
});

after(async () => {
  await browser?.close();
});

interface Env {
  chat: RunningChat;
  /** Uncaught page errors, dialogs and CSP violations, which fail the test at its end. */
  problems: string[];
  /** One browser context (its own window and storage) per page. */
  contexts: BrowserContext[];
}

/** What a test needs: a fresh chat server, closed with the test's pages when the test ends. */
async function setUp(t: TestContext, options: Partial<ChatServerOptions> = {}): Promise<Env> {
  const chat = await startChatServer({ port: 0, host: '127.0.0.1', db: ':memory:', ...options });
  const env: Env = { chat, problems: [], contexts: [] };
  t.after(async () => {
    await Promise.all(env.contexts.map((context) => context.close()));
    await chat.close();
  });
  return env;
}

/** What the tests' in-page functions use of the browser's globals (the tests compile without the DOM lib). */
interface PageGlobals {
  document: {
    addEventListener(
      type: 'securitypolicyviolation',
      listener: (e: { effectiveDirective: string; blockedURI: string }) => void,
    ): void;
  };
  reportCspViolation(text: string): void;
}

/**
 * Opens a page in a fresh context whose CSP violations become problems: each `securitypolicyviolation`
 * event (through a binding, added before any page script runs) and each console line Chromium
 * writes about the policy.
 */
async function newPage(env: Env, name: string): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1100, height: 720 } });
  env.contexts.push(context);
  await context.exposeBinding('reportCspViolation', (_source, text: string) => {
    env.problems.push(`${name}: CSP violation: ${text}`);
  });
  await context.addInitScript(() => {
    const page = globalThis as unknown as PageGlobals;
    page.document.addEventListener('securitypolicyviolation', (e) => {
      page.reportCspViolation(`${e.effectiveDirective} blocked ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text()))
      env.problems.push(`${name}: console: ${message.text()}`);
  });
  page.on('pageerror', (err) => env.problems.push(`${name}: page error: ${err.message}`));
  page.on('dialog', (dialog) => {
    env.problems.push(`${name}: dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return page;
}

/** Opens the page, fills the form and connects; resolves once the page says it is connected. */
async function openChat(env: Env, name: string, transport: Transport): Promise<Page> {
  const page = await newPage(env, name);
  await page.goto(`${env.chat.url}/`);
  await page.getByTestId('name').fill(name);
  await page.getByTestId(`transport-${transport}`).check();
  await page.getByTestId('connect').click();
  await page.locator('[data-testid="status"][data-state="online"]').waitFor();
  // The lobby's join ack lists this page's own name among the members.
  await member(page, name).waitFor();
  return page;
}

function member(page: Page, name: string) {
  return page.getByTestId('members').getByTestId('member').filter({ hasText: name });
}

function messageWith(page: Page, content: string) {
  return page
    .getByTestId('messages')
    .getByTestId('message')
    .filter({ has: page.getByTestId('message-content').getByText(content, { exact: true }) });
}

async function joinRoom(page: Page, room: string): Promise<void> {
  await page.getByTestId('join-room').fill(room);
  await page.getByTestId('join').click();
  await page.getByTestId('current-room').getByText(room, { exact: true }).waitFor();
}

/** Types a message and presses Enter; resolves once the page shows the server's ack. */
async function send(page: Page, content: string): Promise<void> {
  await page.getByTestId('message-input').fill(content);
  await page.getByTestId('message-input').press('Enter');
  await page
    .getByTestId('send-status')
    .getByText(/^sent to #/)
    .waitFor();
  await messageWith(page, content).waitFor();
}

async function messageCount(page: Page): Promise<number> {
  return page.getByTestId('messages').getByTestId('message').count();
}

describe('chat page in headless Chromium', () => {
  test('a Socket.IO page and a plain WebSocket page chat in a room: messages, presence, typing, no HTML injection', async (t) => {
    if (!requirePeer(t, 'Chromium', available, 'apt-get install chromium')) return;
    const env = await setUp(t);
    const alice = await openChat(env, 'alice', 'socketio');
    const bob = await openChat(env, 'bob', 'plain');

    await joinRoom(alice, 'dev');
    await joinRoom(bob, 'dev');
    // Presence: both names on both pages (bob's join ack, and the presence event alice receives).
    for (const page of [alice, bob]) {
      await member(page, 'alice').waitFor();
      await member(page, 'bob').waitFor();
      assert.equal(await page.getByTestId('member-count').textContent(), '2');
    }

    // Typing is announced to the others in the room.
    await bob.getByTestId('message-input').pressSequentially('hel');
    await alice.getByTestId('typing').getByText('bob is typing…').waitFor();

    // Messages both ways, each shown with its sender's name.
    await send(bob, 'hello from the plain WebSocket');
    await send(alice, 'hello from Socket.IO');
    const fromBob = messageWith(alice, 'hello from the plain WebSocket');
    await fromBob.waitFor();
    assert.equal(await fromBob.getByTestId('message-from').textContent(), 'bob');
    const fromAlice = messageWith(bob, 'hello from Socket.IO');
    await fromAlice.waitFor();
    assert.equal(await fromAlice.getByTestId('message-from').textContent(), 'alice');
    // Hovering a sender's name shows its socket id (fromId), the id presence lists it under.
    const bobId = await member(alice, 'bob').getAttribute('title');
    const aliceId = await member(bob, 'alice').getAttribute('title');
    assert.ok(bobId && aliceId && bobId !== aliceId);
    assert.equal(await fromBob.getByTestId('message-from').getAttribute('title'), `bob (${bobId})`);
    assert.equal(await fromAlice.getByTestId('message-from').getAttribute('title'), `alice (${aliceId})`);
    // bob's message ended his typing indicator.
    await alice.locator('[data-testid="typing"]:empty').waitFor({ state: 'attached' });

    // Markup in a message is shown as text: no element is created, no script runs.
    const payload = '<img src=x onerror=alert(1)>';
    await send(alice, payload);
    for (const page of [alice, bob]) {
      const shown = messageWith(page, payload);
      await shown.waitFor();
      assert.equal(await shown.getByTestId('message-content').textContent(), payload);
      assert.equal(await page.locator('[data-testid="messages"] img').count(), 0);
      assert.equal(await page.locator('img').count(), 0);
    }
    // Both pages show the same three messages, in the same order.
    const contents = (page: Page) => page.getByTestId('message-content').allTextContents();
    assert.deepEqual(await contents(alice), await contents(bob));
    assert.equal((await contents(alice)).length, 3);

    mkdirSync(RESULTS, { recursive: true });
    await alice.screenshot({ path: `${RESULTS}/chat-socketio.png` });
    await bob.screenshot({ path: `${RESULTS}/chat-plain.png` });
    assert.deepEqual(env.problems, []);
  });

  test('the page runs under its Content-Security-Policy: both transports connect, other origins are blocked and reported', async (t) => {
    if (!requirePeer(t, 'Chromium', available, 'apt-get install chromium')) return;
    const env = await setUp(t);
    const socketio = await openChat(env, 'csp-socketio', 'socketio');
    const plain = await openChat(env, 'csp-plain', 'plain');
    // Both pages ran their scripts and connected without a violation: the plain one over ws://, the
    // Socket.IO one by polling, then upgraded to ws://: connect-src 'self' covers ws: in Chromium.
    const sockets = [...env.chat.io.of('/').sockets.values()];
    const sioSocket = sockets.find((socket) => socket.handshake.auth.name === 'csp-socketio');
    assert.ok(sioSocket);
    if (sioSocket.conn.transport.name !== 'websocket') await waitFor(sioSocket.conn, 'upgrade');
    assert.equal(sioSocket.conn.transport.name, 'websocket');
    await send(socketio, 'under CSP');
    await messageWith(plain, 'under CSP').waitFor();
    await send(plain, 'under CSP too');
    await messageWith(socketio, 'under CSP too').waitFor();
    assert.deepEqual(env.problems, []);
    const header = (await plain.request.get(`${env.chat.url}/`)).headers()['content-security-policy'];
    assert.match(header ?? '', /connect-src 'self'/);

    // The policy is enforced, and a violation is seen by the listeners the other tests rely on:
    // a connection to another origin (another port) is blocked, a WebSocket and a fetch alike.
    const other = `127.0.0.1:${env.chat.port + 1}`;
    const blocked = await withTimeout(
      plain.evaluate(
        (host) =>
          new Promise<string[]>((resolve) => {
            const seen: string[] = [];
            (globalThis as unknown as PageGlobals).document.addEventListener(
              'securitypolicyviolation',
              (e) => {
                seen.push(`${e.effectiveDirective} ${e.blockedURI}`);
                if (seen.length === 2) resolve(seen);
              },
            );
            try {
              new WebSocket(`ws://${host}/ws/chat/`);
            } catch {
              // Older Chromium throws instead of failing the connection; the event comes either way.
            }
            fetch(`http://${host}/`).catch(() => undefined);
          }),
        other,
      ),
      'the two violations',
    );
    assert.deepEqual(blocked.sort(), [`connect-src http://${other}/`, `connect-src ws://${other}/ws/chat/`]);
    const reported = () =>
      env.problems.filter((p) => p.startsWith('csp-plain: CSP violation: connect-src')).length;
    await waitUntil(() => reported() === 2, 'both violations reported through the binding');
  });

  test('a join refused for the spent budget is asked again once it has refilled, on both transports', async (t) => {
    if (!requirePeer(t, 'Chromium', available, 'apt-get install chromium')) return;
    // 9 units per 10 s: the lobby and three rooms (2 each) spend 8; the fourth join must wait ~1 s.
    const env = await setUp(t, { budget: 9 });
    // Both pages open before either spends: a closed connection hands its spent budget to its
    // address's next one, so a page opened after the first closed would wait a whole window.
    const pages = {
      socketio: await openChat(env, 'joiner-socketio', 'socketio'),
      plain: await openChat(env, 'joiner-plain', 'plain'),
    };
    for (const transport of ['socketio', 'plain'] as const) {
      const page = pages[transport];
      for (const room of ['a', 'b', 'c']) await joinRoom(page, `${room}-${transport}`);
      await page.getByTestId('join-room').fill(`d-${transport}`);
      await page.getByTestId('join').click();
      await page.getByTestId('current-room').getByText(`d-${transport}`, { exact: true }).waitFor();
      assert.equal(await page.getByTestId('error').count(), 0, 'no refusal shown');
      await page.close();
    }
    assert.deepEqual(env.problems, []);
  });

  test('refusals are shown, and "load older" pages through the history', async (t) => {
    if (!requirePeer(t, 'Chromium', available, 'apt-get install chromium')) return;
    const env = await setUp(t);
    for (let i = 1; i <= 60; i++) {
      const stored = await env.chat.store.append({
        room: 'archive',
        from: 'archivist',
        fromId: null,
        content: `archived ${i}`,
        type: 'text',
      });
      assert.ok(stored.ok);
    }

    for (const transport of ['socketio', 'plain'] as const) {
      const page = await openChat(env, `reader-${transport}`, transport);

      // A bad room name: the server's refusal appears in the error list.
      await page.getByTestId('join-room').fill('Not A Room');
      await page.getByTestId('join').click();
      await page.getByTestId('error').filter({ hasText: 'invalid_room' }).waitFor();
      assert.equal(await page.getByTestId('current-room').textContent(), 'lobby');

      // A message over the length limit: the ack's error appears under the send box.
      await page.getByTestId('message-input').fill('x'.repeat(4001));
      await page.getByTestId('message-input').press('Enter');
      await page
        .getByTestId('send-status')
        .getByText(/^not sent: invalid_message: /)
        .waitFor();

      // The join ack carries the newest 50 messages; "load older" fetches the rest.
      await joinRoom(page, 'archive');
      await messageWith(page, 'archived 60').waitFor();
      assert.equal(await messageCount(page), 50);
      await page.getByTestId('load-older').click();
      await messageWith(page, 'archived 1').waitFor();
      assert.equal(await messageCount(page), 60);
      await page.getByTestId('load-older').waitFor({ state: 'hidden' });
      assert.deepEqual(
        await page.getByTestId('message-content').allTextContents(),
        Array.from({ length: 60 }, (_, i) => `archived ${i + 1}`),
      );
      mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: `${RESULTS}/chat-history-${transport}.png` });
      await page.close();
    }
    assert.deepEqual(env.problems, []);
  });

  test('after a dropped connection both transports reconnect with the last id seen and show what they missed', async (t) => {
    if (!requirePeer(t, 'Chromium', available, 'apt-get install chromium')) return;
    const env = await setUp(t);
    const auths: { name: unknown; lastId: unknown }[] = [];
    env.chat.io.of('/').on('connection', (socket) => {
      auths.push({ name: socket.handshake.auth.name, lastId: socket.handshake.auth.lastId });
    });
    const carol = await openChat(env, 'carol', 'socketio');
    const dave = await openChat(env, 'dave', 'plain');
    await joinRoom(carol, 'ops');
    await joinRoom(dave, 'ops');
    await send(carol, 'before the cut');
    await messageWith(dave, 'before the cut').waitFor();
    const lastId = Number(await messageWith(dave, 'before the cut').getAttribute('data-id'));
    assert.deepEqual(auths, [
      { name: 'carol', lastId: undefined },
      { name: 'dave', lastId: undefined },
    ]);

    // Cut both connections, and store what they miss in the same tick: these messages are never
    // broadcast to the pages, so only the reconnection can bring them. 55 in "ops" is more than
    // the 50 a join ack carries.
    for (const socket of env.chat.io.of('/').sockets.values()) socket.conn.close();
    for (let i = 1; i <= 55; i++)
      env.chat.store.append({
        room: 'ops',
        from: 'erin',
        fromId: null,
        content: `missed ${i}`,
        type: 'text',
      });
    env.chat.store.append({
      room: 'lobby',
      from: 'erin',
      fromId: null,
      content: 'missed in the lobby',
      type: 'text',
    });

    for (const page of [carol, dave]) {
      await messageWith(page, 'missed 55').waitFor();
      await messageWith(page, 'missed 1').waitFor();
      await page.getByTestId('message').nth(55).waitFor();
      assert.equal(await messageCount(page), 56);
      const ids = await page
        .getByTestId('message')
        .evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-id'))));
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
      );
      assert.equal(new Set(ids).size, ids.length);
      // The lobby got its missed message too (an unread badge, then the message itself).
      await page.getByTestId('room-lobby').locator('.badge').waitFor();
      await page.getByTestId('room-lobby').click();
      await messageWith(page, 'missed in the lobby').waitFor();
      await page.locator('[data-testid="status"][data-state="online"]').waitFor();
    }
    const reconnects = auths.slice(2).map((a) => ({ name: a.name, lastId: Number(a.lastId) }));
    assert.deepEqual(
      reconnects.sort((a, b) => String(a.name).localeCompare(String(b.name))),
      [
        { name: 'carol', lastId },
        { name: 'dave', lastId },
      ],
    );
    assert.deepEqual(env.problems, []);
  });
});
