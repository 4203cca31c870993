/**
 * Against socket.io 2.x (Engine.IO v3, Socket.IO protocol v4): the revision is detected from the
 * handshake (or set with `protocol: 3`), the client pings, '/' is connected by the server, other
 * namespaces get the query, binary travels both ways, and a refusal's string reaches connect_error.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { ConnectError, type IoOptions } from '../../src/client/index.js';
import { countdown, deferred, waitFor } from '../support/waiting.js';
import {
  type ClientSetup,
  client,
  closeOfficialServers,
  connected,
  forEachSetup,
  sibling,
  startSocketIo2,
  type V2Socket,
} from './support.js';

afterEach(closeOfficialServers);

// A WebSocket handshake does not tell the revisions apart (only polling's framing does): a
// websocket-only client says which it speaks.
function v3(setup: ClientSetup): IoOptions {
  return setup.opts.transports?.[0] === 'websocket' ? { ...setup.opts, protocol: 3 } : setup.opts;
}

forEachSetup((setup) => {
  test('socket.io 2: the v3 protocol is detected (polling) or given (websocket), and events, acks flow both ways', async () => {
    const server = await startSocketIo2();
    server.io.on('connection', (s: V2Socket) => {
      s.on('double', ((n: number, ack: (v: number) => void) => ack(n * 2)) as never);
      s.on('ask', (async () => {
        s.emit('question', 'why?', (answer: string) => s.emit('answered', answer));
      }) as never);
    });
    const socket = client(server.url, v3(setup));
    socket.on('question', (text: string, ack: (v: string) => void) => ack(`because ${text}`));
    await connected(socket, setup);
    assert.equal(socket.io.protocol, 3);
    assert.equal(socket.id, socket.io.engine?.id);
    assert.equal(await socket.emitWithAck('double', 21), 42);
    const answered = waitFor(socket, 'answered');
    socket.emit('ask');
    assert.equal(await answered, 'because why?');
  });

  test('socket.io 2: the client pings, so the session outlives several ping timeouts', async () => {
    const server = await startSocketIo2({ pingInterval: 50, pingTimeout: 100 });
    const pings = countdown(5);
    server.io.on('connection', (s: V2Socket) => {
      s.conn.on('packet', ((packet: { type: string }) => {
        if (packet.type === 'ping') pings.hit(packet);
      }) as never);
    });
    const socket = await connected(client(server.url, { ...setup.opts, protocol: 3 }), setup);
    // Five pings take 250 ms: a session without them would have closed after 150.
    await pings.wait('pings from the client');
    assert.equal(socket.connected, true);
    assert.equal(socket.io.engine?.state, 'open');
  });

  test('socket.io 2: binary travels both ways, nested', async () => {
    const server = await startSocketIo2();
    server.io.on('connection', (s: V2Socket) => {
      s.on('echo', ((data: unknown, ack: (v: unknown) => void) => ack(data)) as never);
      s.emit('bytes', { nested: [Buffer.from([1, 2, 3])] });
    });
    const socket = client(server.url, { ...v3(setup), autoConnect: false });
    const bytes = waitFor<{ nested: Buffer[] }>(socket, 'bytes');
    socket.connect();
    await connected(socket, setup);
    assert.deepEqual((await bytes).nested[0], Buffer.from([1, 2, 3]));
    const sent = { a: new Uint8Array([9, 8]), b: [new ArrayBuffer(2), 'text'] };
    const echoed = (await socket.emitWithAck('echo', sent)) as { a: Buffer; b: [Buffer, string] };
    assert.deepEqual(echoed.a, Buffer.from([9, 8]));
    assert.deepEqual(echoed.b, [Buffer.alloc(2), 'text']);
  });

  test('socket.io 2: a namespace gets the query, and a refusal is a connect_error with its message', async () => {
    const server = await startSocketIo2();
    const query = deferred<Record<string, string>>();
    server.io.of('/chat').on('connection', (s: V2Socket) => query.resolve(s.handshake.query));
    server.io.of('/closed').use((_s, next) => next(new Error('not authorized')));
    const root = await connected(client(server.url, { ...v3(setup), query: { room: 'r1' } }), setup);
    const chat = sibling(root, '/chat');
    await connected(chat);
    assert.equal((await query.promise).room, 'r1');
    assert.equal(chat.id, `/chat#${root.io.engine?.id}`);
    const closed = sibling(root, '/closed');
    const err = await waitFor<ConnectError>(closed, 'connect_error');
    assert.ok(err instanceof ConnectError);
    assert.equal(err.reason, 'refused');
    assert.equal(err.message, 'not authorized');
  });
});

test('socket.io 2: leaving / and joining it again on the same connection takes a CONNECT', async () => {
  const server = await startSocketIo2();
  const roots = countdown<V2Socket>(2);
  server.io.on('connection', (s: V2Socket) => {
    roots.hit(s);
    s.on('where', ((ack: (v: string) => void) => ack('root')) as never);
  });
  server.io.of('/chat').on('connection', () => undefined);
  const root = await connected(client(server.url, { transports: ['polling'] }));
  const chat = await connected(sibling(root, '/chat'));
  root.disconnect();
  root.connect();
  await connected(root);
  await roots.wait('connections of /');
  assert.equal(await root.emitWithAck('where'), 'root');
  assert.equal(chat.connected, true);
});
