/** Interop with the official python-socketio client (Debian's python3-socketio), on every transport. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Server } from '../../src/index.js';
import { pythonHas, requirePeer } from '../support/requirements.js';

const run = promisify(execFile);
const available = pythonHas('socketio', 'requests', 'websocket');

describe('python-socketio client', () => {
  for (const transport of ['polling', 'websocket', 'upgrade'] as const) {
    test(`connects over ${transport} with auth, acks, binary and server events, and is disconnected by the server`, async (t) => {
      if (!requirePeer(t, 'python3-socketio', available, 'apt-get install python3-socketio python3-requests python3-websocket')) return;
      const http = createServer();
      const io = new Server(http, { pingInterval: 300, pingTimeout: 200 });
      const reasons: string[] = [];
      const auths: unknown[] = [];
      io.of('/python').on('connection', (socket) => {
        auths.push(socket.handshake.auth);
        socket.on('echo', (data: unknown, ack: (d: unknown) => void) => ack(data));
        socket.on('binary', (data: Buffer) => socket.emit('binary-back', data));
        socket.on('ask', async () => {
          const answer = await socket.timeout(2000).emitWithAck('question', 'life');
          socket.emit('news', 'answered', answer);
        });
        socket.on('bye', () => socket.disconnect());
        socket.on('disconnect', (reason) => reasons.push(reason));
      });
      http.listen(0, '127.0.0.1');
      await once(http, 'listening');
      const { port } = http.address() as AddressInfo;
      try {
        const { stdout } = await run('/usr/bin/python3', [
          'test/interop/python/socketio_client.py',
          `http://127.0.0.1:${port}`,
          transport,
        ], { timeout: 30_000 });
        const observed = JSON.parse(stdout);
        assert.deepEqual(auths, [{ lang: 'python' }]);
        assert.deepEqual(observed.ack, { n: 1, s: 'é' });
        assert.deepEqual(observed.binary, [1, 2, 3]);
        assert.equal(observed.question, 'life');
        assert.deepEqual(observed.news, ['answered', 'answer to life']);
        assert.equal(observed.transport, transport === 'polling' ? 'polling' : 'websocket');
        assert.equal(observed.server_disconnect, true);
        assert.deepEqual(reasons, ['server namespace disconnect']);
      } finally {
        await io.close();
      }
      assert.equal(io.engine.clientsCount, 0);
    });
  }
});
