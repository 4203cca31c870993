/**
 * Interop: how the server treats what a client sends, as socket.io 4.8 does. A packet that makes no
 * sense for the namespace's state (a second CONNECT, an EVENT or ACK for a namespace not joined, a
 * CONNECT_ERROR) closes the connection at once; input that cannot be
 * decoded (an unknown type, bad JSON, too many attachments, a binary packet announcing none, a
 * binary message that belongs to no packet) is told to the socket's 'error' listeners, then the
 * connection closes ("forced close"); over long-polling the client's next GET reads `6\x1e1`
 * (noop, close). A packet that arrives in the same payload as its socket's leaving reaches nobody,
 * and the connection stays open.
 *
 * Raw Engine.IO clients (polling and WebSocket), since an official client never sends such
 * packets. Run against parley and, with PARLEY_TEST_AGAINST=socket.io, against socket.io itself.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import {
  cleanup,
  connectClient,
  deferred,
  makeClient,
  type StartedServer,
  serverKind,
  startServer,
  TRANSPORT_SETUPS,
  waitFor,
  withTimeout,
} from '../support/fixtures.js';
import { RawPolling, WsClient } from '../support/raw-clients.js';

afterEach(cleanup);

/** What a server socket went through: 'error:<message>' and 'disconnect:<reason>', in order. */
function record(socket: ServerSocket): { log: string[]; errors: unknown[]; left: Promise<string> } {
  const log: string[] = [];
  const errors: unknown[] = [];
  const left = deferred<string>();
  socket.on('error', (err) => {
    errors.push(err);
    log.push('error');
  });
  socket.on('disconnect', (reason) => {
    log.push(`disconnect:${reason}`);
    left.resolve(reason);
  });
  return { log, errors, left: withTimeout(left.promise, 'the socket to disconnect') };
}

/** A raw client connected to the main namespace: it sends Engine.IO messages and sees the close. */
interface RawSession {
  /** Sends Engine.IO message packets ('4' + Socket.IO text, or binary), in one payload over polling. */
  send(...messages: (string | Buffer)[]): Promise<void>;
  /** Resolves once the server has closed the session: over polling, with the body of the GET that told it. */
  closedByServer(): Promise<string>;
  /** Closes the session from the client side (a close packet, or the WebSocket's close). */
  close(): Promise<void>;
  /** The server-side socket of the main namespace. */
  readonly socket: ServerSocket;
  /** What the server sent, over WebSocket (undefined over polling). */
  readonly frames: WsClient | undefined;
}

/**
 * Heartbeats long enough that a raw polling client, which answers no ping, is not cut in the middle
 * of a test; a test that leaves its session open closes it itself.
 */
const RAW_OPTIONS = { pingInterval: 2000, pingTimeout: 2000 };

type RawTransport = 'polling' | 'websocket';
const RAW_TRANSPORTS: readonly RawTransport[] = ['polling', 'websocket'];

/** One Engine.IO message as a polling payload writes it: text as is, binary as `b<base64>`. */
function pollingMessage(message: string | Buffer): string {
  return typeof message === 'string' ? `4${message}` : `b${message.toString('base64')}`;
}

async function rawSession(server: StartedServer, transport: RawTransport): Promise<RawSession> {
  const connection = waitFor<ServerSocket>(server.io, 'connection');
  if (transport === 'polling') {
    const polling = await RawPolling.handshake(`${server.url}/socket.io/`);
    await polling.post('40');
    assert.match((await polling.get()).body, /^40\{"sid":/);
    const socket = await connection;
    return {
      socket,
      frames: undefined,
      async send(...messages) {
        const answer = await polling.post(messages.map(pollingMessage).join('\x1e'));
        assert.equal(answer.status, 200);
      },
      async closedByServer() {
        return (await polling.get()).body;
      },
      async close() {
        await polling.post('1');
      },
    };
  }
  const url = `ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`;
  const { client } = await WsClient.handshake(url, { answerPings: true });
  client.send('40');
  assert.match(await client.nextText('the CONNECT answer'), /^40\{"sid":/);
  const socket = await connection;
  return {
    socket,
    frames: client,
    async send(...messages) {
      for (const message of messages) client.send(typeof message === 'string' ? `4${message}` : message);
    },
    async closedByServer() {
      await withTimeout(client.closed, 'the server to close the WebSocket');
      return '';
    },
    async close() {
      await client.close();
    },
  };
}

/** Over polling, the GET after a server-side close: a noop releasing it, then the close packet. */
function assertClosedAnswer(transport: RawTransport, body: string): void {
  if (transport === 'polling') assert.equal(body, '6\x1e1');
}

/**
 * socket.io closes the session, then makes the sockets leave with "forced server close": a WebSocket
 * session closes at once and its sockets have left by then ("forced close"); a polling one waits for
 * its client's next GET.
 */
const INVALID_STATE_REASON: Readonly<Record<RawTransport, string>> = {
  polling: 'forced server close',
  websocket: 'forced close',
};

describe('a packet the namespace state does not allow closes the connection at once', () => {
  const cases: [string, string][] = [
    ['a second CONNECT for a connected namespace', '0'],
    ['an EVENT for a namespace the client has not joined', '2/elsewhere,["hello"]'],
    ['an ACK for a namespace the client has not joined', '3/elsewhere,0[]'],
    ['a CONNECT_ERROR sent by the client', '4{"message":"no"}'],
  ];
  for (const transport of RAW_TRANSPORTS) {
    for (const [name, packet] of cases) {
      test(`${name} (${transport})`, async () => {
        const server = await startServer(RAW_OPTIONS);
        let delivered = false;
        server.io.of('/elsewhere').on('connection', (s) => s.onAny(() => (delivered = true)));
        const session = await rawSession(server, transport);
        const seen = record(session.socket);
        await session.send(packet);
        const reason = INVALID_STATE_REASON[transport];
        assert.equal(await seen.left, reason);
        assertClosedAnswer(transport, await session.closedByServer());
        assert.deepEqual(seen.log, [`disconnect:${reason}`]);
        assert.equal(delivered, false);
      });
    }
  }
});

describe("input that cannot be decoded: the socket's 'error' listeners hear it, then it leaves (\"forced close\")", () => {
  const cases: [string, (string | Buffer)[]][] = [
    ['an unknown packet type', ['9["hello"]']],
    ['a payload that is not JSON', ['2["hello"']],
    ['too many attachments (11 of at most 10)', ['511-["hello"]']],
    ['a binary packet announcing no attachment', ['50-["hello"]']],
    ['a binary message that belongs to no packet', [Buffer.from([1, 2, 3])]],
    ['an empty binary message that belongs to no packet', [Buffer.alloc(0)]],
    ['a text packet where an attachment was due', ['51-["hello",{"_placeholder":true,"num":0}]', '2["next"]']],
  ];
  for (const transport of RAW_TRANSPORTS) {
    for (const [name, messages] of cases) {
      test(`${name} (${transport})`, async () => {
        const server = await startServer(RAW_OPTIONS);
        const session = await rawSession(server, transport);
        let delivered = false;
        session.socket.onAny(() => (delivered = true));
        const seen = record(session.socket);
        await session.send(...messages);
        assertClosedAnswer(transport, await session.closedByServer());
        assert.equal(await seen.left, 'forced close');
        assert.deepEqual(seen.log, ['error', 'disconnect:forced close']);
        assert.ok(seen.errors[0] instanceof Error, 'the error event carries an Error');
        assert.equal(delivered, false);
      });
    }
  }

  for (const transport of RAW_TRANSPORTS) {
    for (const text of ['5woooot', '5']) {
      test(`a binary packet without its attachment count (${JSON.stringify(text)}) is an "Illegal attachments" error, in socket.io-parser's words (${transport})`, async () => {
        const server = await startServer(RAW_OPTIONS);
        const session = await rawSession(server, transport);
        const seen = record(session.socket);
        await session.send(text);
        assertClosedAnswer(transport, await session.closedByServer());
        assert.equal(await seen.left, 'forced close');
        assert.match(String((seen.errors[0] as Error).message), /^Illegal attachments/);
      });
    }
  }

  for (const transport of RAW_TRANSPORTS) {
    test(`a binary packet whose attachment is an empty binary message is delivered (${transport})`, async () => {
      const server = await startServer(RAW_OPTIONS);
      const session = await rawSession(server, transport);
      const heard = waitFor<Buffer>(session.socket, 'hello');
      await session.send('51-["hello",{"_placeholder":true,"num":0}]', Buffer.alloc(0));
      const value = await heard;
      assert.ok(Buffer.isBuffer(value));
      assert.equal(value.length, 0);
      await session.close();
    });
  }
});

describe('a packet that arrives as its socket leaves reaches nobody; the connection stays open', () => {
  /** A polling session connected to '/' and '/b', with both server sockets. */
  async function twoNamespaces(server: StartedServer) {
    const session = await rawSession(server, 'polling');
    const b = waitFor<ServerSocket>(server.io.of('/b'), 'connection');
    await session.send('0/b,');
    return { session, main: session.socket, b: await b };
  }

  // Events reach their listeners a tick after their packet (as on socket.io), so the order of the
  // packets in the payload does not matter: the event arrives with its socket's end either way.
  const cases = [
    ['after a DISCONNECT of its namespace', ['1/b,', '2/b,["hello","too late"]'], 'client namespace disconnect'],
    ['followed by a DISCONNECT of its namespace', ['2/b,["hello","too late"]', '1/b,'], 'client namespace disconnect'],
    ['after one whose handler disconnected the socket', ['2/b,["leave"]', '2/b,["hello","too late"]'], 'server namespace disconnect'],
  ] as const;
  for (const [when, payload, reason] of cases) {
    test(`an EVENT ${when}, in the same payload, is not delivered`, async () => {
      const server = await startServer(RAW_OPTIONS);
      server.io.of('/b');
      const { session, main, b } = await twoNamespaces(server);
      const heard: unknown[] = [];
      b.on('leave', () => b.disconnect());
      b.on('hello', (value) => heard.push(value));
      const left = waitFor<string>(b, 'disconnect');
      await session.send(...payload);
      assert.equal(await left, reason);
      // The main namespace still hears the client: the connection was not closed.
      const still = waitFor<string>(main, 'still');
      await session.send('2["still","here"]');
      assert.equal(await still, 'here');
      assert.deepEqual(heard, []);
      await session.close();
    });
  }

  test('an event whose packet middleware lets it through after the socket disconnected is not delivered', async () => {
    const server = await startServer();
    const connection = waitFor<ServerSocket>(server.io, 'connection');
    const client = await connectClient(server.url);
    const socket = await connection;
    const held = deferred<(err?: Error) => void>();
    socket.use((_packet, next) => held.resolve(next));
    let delivered = false;
    socket.on('hello', () => (delivered = true));
    client.emit('hello');
    const next = await withTimeout(held.promise, 'the packet middleware to run');
    const left = waitFor<string>(socket, 'disconnect');
    socket.disconnect();
    assert.equal(await left, 'server namespace disconnect');
    next();
    // socket.io hands the event on a tick later: give it a full turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(delivered, false);
  });
});

describe('connection middlewares', () => {
  /** A turn of the event loop: socket.io admits a socket a tick after its last middleware. */
  const aTurn = () => new Promise((resolve) => setImmediate(resolve));

  test('a connection the client closes while a middleware waits never emits connection', async () => {
    const server = await startServer();
    const waiting = deferred<{ socket: ServerSocket; next: (err?: Error) => void }>();
    server.io.use((socket, next) => waiting.resolve({ socket, next }));
    let connected = false;
    server.io.on('connection', () => (connected = true));
    const client = makeClient(server.url);
    const { socket, next } = await withTimeout(waiting.promise, 'the middleware to run');
    const closed = waitFor(socket.conn, 'close');
    client.io.engine.close();
    await closed;
    next();
    await aTurn();
    assert.equal(connected, false);
  });

  for (const setup of TRANSPORT_SETUPS) {
    test(`a middleware that closes the connection, then calls next(), never emits connection [${setup.name}]`, async () => {
      const server = await startServer();
      let connected = false;
      server.io.use((socket, next) => {
        socket.conn.close();
        next();
      });
      server.io.on('connection', () => (connected = true));
      const client = makeClient(server.url, { setup });
      const gone = waitFor(client.io, 'close');
      await gone;
      await aTurn();
      assert.equal(connected, false);
    });
  }
});

describe('dynamic namespaces', () => {
  test('two clients connecting at once to a new child of an async matcher end up in one namespace', async () => {
    const server = await startServer();
    const created: string[] = [];
    server.io.on('new_namespace', (nsp) => created.push(nsp.name));
    const parent = server.io.of((_name, _auth, next) => {
      // Answers later, so that both clients are being matched at the same time.
      setTimeout(() => next(null, true), 30);
    });
    const namespaces: unknown[] = [];
    parent.on('connection', (socket) => namespaces.push(socket.nsp));
    await Promise.all([connectClient(server.url, { nsp: '/dyn-1' }), connectClient(server.url, { nsp: '/dyn-1' })]);
    assert.equal(namespaces.length, 2);
    assert.equal(namespaces[0], namespaces[1]);
    assert.equal(namespaces[0], server.io.of('/dyn-1'));
    assert.equal(server.io.of('/dyn-1').sockets.size, 2);
    assert.deepEqual(created, ['/dyn-1']);
  });
});

describe('broadcast acks with a timeout', () => {
  /** Two clients: one answers 'ask', the other never does. */
  async function oneAnswers() {
    const server = await startServer();
    const answering = await connectClient(server.url);
    answering.on('ask', (ack: (answer: string) => void) => ack('yes'));
    const silent = await connectClient(server.url);
    silent.on('ask', () => {});
    return server;
  }

  test('timeout(ms).emitWithAck rejects with an error whose responses hold the answers that arrived', async () => {
    const { io } = await oneAnswers();
    const err = (await io
      .timeout(100)
      .emitWithAck('ask')
      .then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      )) as Error & { responses?: unknown };
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'operation has timed out');
    assert.deepEqual(err.responses, ['yes']);
  });

  test('once a broadcast with acks timed out, no socket still awaits an ack (acks.size is 0)', async () => {
    const { io } = await oneAnswers();
    await assert.rejects(io.timeout(100).emitWithAck('ask'), /operation has timed out/);
    const socket = [...io.of('/').sockets.values()][0]!;
    await socket.timeout(100).emitWithAck('ask').catch(() => undefined);
    for (const s of io.of('/').sockets.values()) {
      assert.equal((s as unknown as { acks: { size: number } }).acks.size, 0, s.id);
    }
  });

  test('timeout(ms).emit with a callback gets (err, responses) with the answers that arrived', async () => {
    const { io } = await oneAnswers();
    const [err, responses] = await new Promise<[Error | null, unknown]>((resolve) => {
      io.timeout(100).emit('ask', (e: Error | null, r: unknown) => resolve([e, r]));
    });
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'operation has timed out');
    assert.deepEqual(responses, ['yes']);
  });
});

describe('a Buffer as the event itself', () => {
  for (const [name, value] of [
    ['a Buffer', Buffer.from([1, 2, 3])],
    ['an empty Buffer', Buffer.alloc(0)],
  ] as const) {
    test(`socket.emit(${name}) goes out as a binary event whose name is the attachment`, async () => {
      const server = await startServer(RAW_OPTIONS);
      const session = await rawSession(server, 'websocket');
      const frames = session.frames!;
      (session.socket.emit as (...args: unknown[]) => boolean)(value);
      assert.equal(await frames.nextText('the binary event'), '451-[{"_placeholder":true,"num":0}]');
      assert.deepEqual(await frames.nextBinary('its attachment'), value);
      await session.close();
    });
  }

  test('the official client cannot read such an event: it closes with "parse error"', async () => {
    const server = await startServer();
    const connection = waitFor<ServerSocket>(server.io, 'connection');
    const client = await connectClient(server.url);
    const socket = await connection;
    const reason = waitFor<string>(client, 'disconnect');
    (socket.emit as (...args: unknown[]) => boolean)(Buffer.from([1, 2, 3]));
    assert.equal(await reason, 'parse error');
  });
});

describe('emit flags', () => {
  test(
    'a reserved name refused by socket.emit does not leave its timeout to the next emit',
    { skip: serverKind === 'socket.io' && 'socket.io keeps the flags of a refused emit (parley resets them)' },
    async () => {
      const server = await startServer();
      const connection = waitFor<ServerSocket>(server.io, 'connection');
      const client = await connectClient(server.url);
      client.on('ask', (ack: (answer: string) => void) => setTimeout(() => ack('late but fine'), 50));
      const socket = await connection;
      assert.throws(() => socket.timeout(5).emit('connect' as never), /reserved event name/);
      const answer = await new Promise<unknown[]>((resolve) => socket.emit('ask', (...args: unknown[]) => resolve(args)));
      assert.deepEqual(answer, ['late but fine']);
    },
  );
});
