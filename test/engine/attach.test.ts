import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { EngineServer } from '../../src/engine/server.js';
import { http, WsClient } from '../support/raw-clients.js';
import { q } from './support.js';
import { listenOnLoopback } from '../support/loopback.js';

describe('engine attach', () => {
  test('requests outside the path go to the existing request listener, ours do not', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end('app');
    });
    const engine = new EngineServer({ onSession: () => ({ onMessage() {}, onClose() {} }) });
    engine.attach(server);
    const base = `http://127.0.0.1:${await listenOnLoopback(server)}`;
    try {
      assert.equal((await http(`${base}/hello`)).body, 'app');
      assert.equal((await http(`${base}/engine.iox/`)).body, 'app');
      const handshake = await http(`${base}/engine.io/${q('polling')}`);
      assert.equal(handshake.status, 200);
      assert.equal(handshake.body[0], '0');
      assert.deepEqual(seen, ['/hello', '/engine.iox/']);
      assert.equal(engine.clientsCount, 1);
    } finally {
      await engine.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    assert.equal(engine.clientsCount, 0);
  });

  test('upgrades outside the path are left to other upgrade listeners', async () => {
    const server = createServer();
    const engine = new EngineServer({ onSession: () => ({ onMessage() {}, onClose() {} }) });
    engine.attach(server);
    const other = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (req.url === '/other') other.handleUpgrade(req, socket, head, (ws) => ws.send('other says hi'));
    });
    const port = await listenOnLoopback(server);
    try {
      const client = new WsClient(`ws://127.0.0.1:${port}/other`);
      assert.equal(await client.next(), 'other says hi');
      client.terminate();
      const engineClient = new WsClient(`ws://127.0.0.1:${port}/engine.io/${q('websocket')}`);
      assert.equal(((await engineClient.next()) as string)[0], '0');
      engineClient.terminate();
      await engineClient.closed;
    } finally {
      await engine.close();
      other.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    assert.equal(engine.clientsCount, 0);
  });

  test('an upgrade nobody else listens for is destroyed', async () => {
    const server = createServer();
    const engine = new EngineServer({ onSession: () => ({ onMessage() {}, onClose() {} }) });
    engine.attach(server);
    const port = await listenOnLoopback(server);
    try {
      const client = new WsClient(`ws://127.0.0.1:${port}/nowhere`);
      await client.closed;
      await assert.rejects(client.opened);
    } finally {
      await engine.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
