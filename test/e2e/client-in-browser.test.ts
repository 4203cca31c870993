/**
 * parley's client (src/client) bundled for the browser by esbuild (platform 'browser', with the
 * `buffer` package as the one shim) and run in real headless Chromium against parley's server:
 * over polling, websocket and the upgrade, an event with an ack and binary both ways.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { Server } from '../../src/index.js';
import { closeHttp, listenOnLoopback } from '../support/loopback.js';
import { requirePeer } from '../support/requirements.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);

const PAGE = `<!doctype html><meta charset="utf-8"><title>client</title>
<script type="module">
  import { io } from '/client.js';
  window.run = (transports) => new Promise((resolve, reject) => {
    const socket = io({ transports, forceNew: true, reconnection: false });
    setTimeout(() => reject(new Error('no result within 5 s')), 5000);
    socket.on('connect_error', (err) => reject(new Error(err.message)));
    socket.on('connect', async () => {
      try {
        const text = await socket.timeout(3000).emitWithAck('echo', 'héllo');
        const bytes = await socket.timeout(3000).emitWithAck('bytes', new Uint8Array([1, 2, 250]));
        const pushed = await new Promise((done) => { socket.once('pushed', (b) => done(b)); socket.emit('push'); });
        await new Promise((done) => (socket.io.engine.transport.name === transports.at(-1) ? done() : socket.io.engine.once('upgrade', done)));
        resolve({
          id: typeof socket.id,
          text,
          bytes: Array.from(bytes),
          pushed: Array.from(pushed),
          transport: socket.io.engine.transport.name,
        });
        socket.disconnect();
      } catch (err) { reject(err); }
    });
  });
</script>`;

let browser: Browser | undefined;
let http: HttpServer | undefined;
let io: Server | undefined;
let origin = '';

before(async () => {
  if (!available) return;
  const bundle = await build({
    entryPoints: ['src/client/index.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    inject: ['test/e2e/fixtures/buffer-shim.js'],
    // Loaded by a dynamic import only where no global WebSocket exists: never in a browser.
    external: ['ws'],
    write: false,
  });
  const script = bundle.outputFiles[0]!.contents;
  http = createServer((req, res) => {
    if (req.url === '/client.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
  });
  io = new Server(http, { pingInterval: 1000, pingTimeout: 1000 });
  io.on('connection', (socket) => {
    socket.on('echo', (text: string, ack: (reply: string) => void) => ack(`${text}!`));
    socket.on('bytes', (bytes: Buffer, ack: (reply: Buffer) => void) => ack(Buffer.from(bytes).reverse()));
    socket.on('push', () => socket.emit('pushed', Buffer.from([9, 8, 7])));
  });
  origin = `http://127.0.0.1:${await listenOnLoopback(http)}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  await browser?.close();
  await io?.close();
  if (http) await closeHttp(http);
});

describe('parley/client in Chromium', () => {
  for (const transports of [['polling'], ['websocket'], ['polling', 'websocket']]) {
    test(`${transports.join(' → ')}: an ack and binary both ways`, async (t) => {
      if (!requirePeer(t, 'Chromium', available, 'apt-get install chromium')) return;
      const page = await browser!.newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(err.message));
      try {
        await page.goto(`${origin}/`);
        const result = await page.evaluate(
          (list) => (globalThis as unknown as { run(t: string[]): Promise<unknown> }).run(list),
          transports,
        );
        assert.deepEqual(result, {
          id: 'string',
          text: 'héllo!',
          bytes: [250, 2, 1],
          pushed: [9, 8, 7],
          transport: transports.at(-1),
        });
        assert.deepEqual(problems, []);
      } finally {
        await page.close();
      }
    });
  }
});
