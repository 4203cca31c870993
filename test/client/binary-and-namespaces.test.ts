/**
 * Binary payloads (Buffer, Uint8Array, ArrayBuffer, nested) both ways, and several namespaces over
 * one connection, against parley and the official socket.io 4 server, over each transport setup.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Server as SocketIoServer } from 'socket.io';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { countdown, waitFor } from '../support/waiting.js';
import { client, closeOfficialServers, connected, forEachSetup, sibling, startSocketIo4 } from './support.js';

afterEach(async () => {
  await closeOfficialServers();
  await cleanup();
});

type Io = Pick<SocketIoServer, 'on' | 'of'>;

const TARGETS: { name: string; start(): Promise<{ url: string; io: Io }> }[] = [
  {
    name: 'parley',
    async start() {
      const server = await startServer({}, PARLEY);
      return { url: server.url, io: server.io as unknown as Io };
    },
  },
  { name: 'socket.io 4', start: () => startSocketIo4() },
];

for (const target of TARGETS) {
  forEachSetup((setup) => {
    test(`${target.name}: binary travels both ways, nested, in events and acks`, async () => {
      const server = await target.start();
      server.io.on('connection', (s) => {
        s.on('echo', (data: unknown, ack: (v: unknown) => void) => ack(data));
        s.emit('bytes', Buffer.from([1, 2]), { deep: { list: [Buffer.from([3])] } });
      });
      const socket = client(server.url, { ...setup.opts, autoConnect: false });
      const bytes = new Promise<unknown[]>((resolve) =>
        socket.on('bytes', (...args: unknown[]) => resolve(args)),
      );
      socket.connect();
      await connected(socket, setup);
      assert.deepEqual(await bytes, [Buffer.from([1, 2]), { deep: { list: [Buffer.from([3])] } }]);

      const sent = {
        buffer: Buffer.from('héllo'),
        u8: new Uint8Array([250, 0, 7]),
        ab: new Uint8Array([4, 5]).buffer,
        mixed: ['text', 1, { inner: Buffer.alloc(0) }],
      };
      const echoed = await socket.emitWithAck('echo', sent);
      assert.deepEqual(echoed, {
        buffer: Buffer.from('héllo'),
        u8: Buffer.from([250, 0, 7]),
        ab: Buffer.from([4, 5]),
        mixed: ['text', 1, { inner: Buffer.alloc(0) }],
      });
    });

    test(`${target.name}: namespaces share one connection, each with its own id and auth`, async () => {
      const server = await target.start();
      const auths = countdown<[string, unknown]>(2);
      for (const nsp of ['/', '/admin']) {
        server.io.of(nsp).on('connection', (s) => {
          auths.hit([nsp, s.handshake.auth]);
          s.on('where', (ack: (v: string) => void) => ack(s.nsp.name));
        });
      }
      const root = client(server.url, { ...setup.opts, auth: { who: 'root' } });
      const admin = sibling(root, '/admin', { auth: (cb) => cb({ who: 'admin' }) });
      await connected(root, setup);
      await connected(admin);
      assert.equal(admin.io, root.io);
      assert.notEqual(admin.id, root.id);
      assert.deepEqual([...(await auths.wait('connections'))].sort(), [
        ['/', { who: 'root' }],
        ['/admin', { who: 'admin' }],
      ]);
      assert.equal(await root.emitWithAck('where'), '/');
      assert.equal(await admin.emitWithAck('where'), '/admin');

      // Leaving one namespace keeps the connection for the other.
      const left = waitFor(admin, 'disconnect');
      admin.disconnect();
      assert.equal(await left, 'io client disconnect');
      assert.equal(root.connected, true);
      assert.equal(await root.emitWithAck('where'), '/');
    });

    test(`${target.name}: io() multiplexes by default and forceNew opens a second connection`, async () => {
      const server = await target.start();
      server.io.of('/other').on('connection', () => undefined);
      const first = client(server.url, { ...setup.opts, forceNew: false });
      const second = client(`${server.url}/other`, { ...setup.opts, forceNew: false });
      const third = client(`${server.url}/other`, { ...setup.opts, forceNew: true });
      await Promise.all([connected(first), connected(second), connected(third)]);
      assert.equal(first.io, second.io);
      assert.notEqual(third.io, second.io);
      assert.equal(second.nsp, '/other');
    });
  });
}
