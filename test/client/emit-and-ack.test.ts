/**
 * parley's client connects and exchanges events and acks both ways, over each transport setup,
 * against parley's server and the official socket.io 4 server (custom path).
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import { AckError } from '../../src/client/index.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { deferred, waitFor } from '../support/waiting.js';
import { client, closeOfficialServers, connected, forEachSetup, startSocketIo4 } from './support.js';

afterEach(async () => {
  await closeOfficialServers();
  await cleanup();
});

interface Target {
  readonly name: string;
  readonly path: string;
  start(): Promise<{ url: string; onConnection(fn: (s: ServerSocket) => void): void }>;
}

const TARGETS: Target[] = [
  {
    name: 'parley',
    path: '/socket.io/',
    async start() {
      const server = await startServer({}, PARLEY);
      return { url: server.url, onConnection: (fn) => server.io.on('connection', fn as never) };
    },
  },
  {
    name: 'socket.io 4, custom path',
    path: '/custom/path/',
    async start() {
      const server = await startSocketIo4({ path: '/custom/path/' });
      return { url: server.url, onConnection: (fn) => server.io.on('connection', fn) };
    },
  },
];

for (const target of TARGETS) {
  forEachSetup((setup) => {
    test(`${target.name}: connect gives the socket an id and the server sees the auth`, async () => {
      const server = await target.start();
      const seen = deferred<unknown>();
      server.onConnection((s) => seen.resolve(s.handshake.auth));
      const socket = client(server.url, { ...setup.opts, path: target.path, auth: { token: 't1' } });
      await connected(socket, setup);
      assert.equal(socket.connected, true);
      assert.equal(typeof socket.id, 'string');
      assert.deepEqual(await seen.promise, { token: 't1' });
      assert.equal(socket.io.engine?.transport?.name, setup.upgrades ? 'websocket' : setup.opts.transports?.[0]);
    });

    test(`${target.name}: events and acks travel both ways`, async () => {
      const server = await target.start();
      server.onConnection((s) => {
        s.on('double', (n: number, ack: (v: number) => void) => ack(n * 2));
        s.on('ask me', async () => {
          const answer = await s.emitWithAck('question', 'why?');
          s.emit('answered', answer);
        });
        s.emit('welcome', { hello: 'world' }, [1, 2]);
      });
      const socket = client(server.url, { ...setup.opts, path: target.path, autoConnect: false });
      const welcome = new Promise<unknown[]>((resolve) =>
        socket.on('welcome', (...args: unknown[]) => resolve(args)),
      );
      socket.on('question', (text: string, ack: (v: string) => void) => ack(`because ${text}`));
      socket.connect();
      await connected(socket, setup);
      assert.deepEqual(await welcome, [{ hello: 'world' }, [1, 2]]);

      const doubled = await new Promise((resolve) => socket.emit('double', 21, resolve));
      assert.equal(doubled, 42);
      assert.equal(await socket.emitWithAck('double', 5), 10);
      const answered = waitFor(socket, 'answered');
      socket.emit('ask me');
      assert.equal(await answered, 'because why?');
    });

    test(`${target.name}: an unanswered ack with a timeout gets an AckError 'timeout'`, async () => {
      const server = await target.start();
      server.onConnection((s) => s.on('ignore', () => undefined));
      const socket = await connected(client(server.url, { ...setup.opts, path: target.path }), setup);
      const err = await new Promise<unknown>((resolve) => socket.timeout(50).emit('ignore', 1, resolve));
      assert.ok(err instanceof AckError);
      assert.equal(err.code, 'timeout');
      assert.equal(err.message, 'operation has timed out');
      await assert.rejects(socket.timeout(50).emitWithAck('ignore'), { name: 'AckError', code: 'timeout' });
    });

    test(`${target.name}: onAny sees every event, off removes a listener`, async () => {
      const server = await target.start();
      server.onConnection((s) => s.on('go', () => s.emit('a', 1) && s.emit('b', 2) && s.emit('done')));
      const socket = await connected(client(server.url, { ...setup.opts, path: target.path }), setup);
      const any: unknown[] = [];
      const a: unknown[] = [];
      const onA = (v: unknown) => a.push(v);
      socket.onAny((event, ...args) => any.push([event, ...args]));
      socket.on('a', onA);
      socket.off('a', onA);
      const done = waitFor(socket, 'done');
      socket.emit('go');
      await done;
      assert.deepEqual(any, [['a', 1], ['b', 2], ['done']]);
      assert.deepEqual(a, []);
    });
  });
}
