/**
 * Interop: events both ways between official socket.io-client and the server under test — arguments,
 * acknowledgements in both directions (callbacks, emitWithAck, timeouts), send/'message', catch-all
 * listeners, reserved event names.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import {
  cleanup,
  connectClient,
  connectedPair,
  deferred,
  forEachTransport,
  startServer,
  waitForArgs,
} from '../support/fixtures.js';

afterEach(cleanup);

const MIXED_ARGS = [
  'text',
  42,
  -1.5,
  true,
  false,
  null,
  { nested: { list: [1, 'two', { three: 3 }] }, empty: {} },
  [],
  'ünïcødé ✓ 🚀',
] as const;

forEachTransport((setup) => {
  test('client → server event carries multiple arguments of every JSON type', async () => {
    const { client, socket } = await connectedPair(setup);
    const received = waitForArgs(socket, 'mixed');
    client.emit('mixed', ...MIXED_ARGS);
    assert.deepEqual(await received, [...MIXED_ARGS]);
  });

  test('server → client event carries multiple arguments of every JSON type; emit returns true', async () => {
    const { client, socket } = await connectedPair(setup);
    const received = waitForArgs(client, 'mixed');
    assert.equal(socket.emit('mixed', ...MIXED_ARGS), true);
    assert.deepEqual(await received, [...MIXED_ARGS]);
  });

  test('events with no arguments and a large string argument arrive intact', async () => {
    const { client, socket } = await connectedPair(setup);
    const big = 'x'.repeat(200_000);
    const empty = waitForArgs(socket, 'empty');
    const large = waitForArgs(socket, 'large');
    client.emit('empty');
    client.emit('large', big);
    assert.deepEqual(await empty, []);
    assert.deepEqual(await large, [big]);
    const back = waitForArgs(client, 'large-back');
    socket.emit('large-back', big);
    assert.deepEqual(await back, [big]);
  });

  test('events are delivered in emit order in both directions', async () => {
    const { client, socket } = await connectedPair(setup);
    const toServer: number[] = [];
    const toClient: number[] = [];
    const serverDone = deferred();
    const clientDone = deferred();
    socket.on('n', (i: number) => {
      toServer.push(i);
      if (i === 99) serverDone.resolve();
    });
    client.on('n', (i: number) => {
      toClient.push(i);
      if (i === 99) clientDone.resolve();
    });
    for (let i = 0; i < 100; i++) {
      client.emit('n', i);
      socket.emit('n', i);
    }
    await Promise.all([serverDone.promise, clientDone.promise]);
    const expected = Array.from({ length: 100 }, (_, i) => i);
    assert.deepEqual(toServer, expected);
    assert.deepEqual(toClient, expected);
  });

  test('client emit with an ack callback gets every value the server passes to the callback', async () => {
    const { client, socket } = await connectedPair(setup);
    socket.on('sum', (a: number, b: number, callback: (...args: unknown[]) => void) => {
      callback(a + b, 'done', { a, b });
    });
    const answer = deferred<unknown[]>();
    client.emit('sum', 2, 3, (...args: unknown[]) => answer.resolve(args));
    assert.deepEqual(await answer.promise, [5, 'done', { a: 2, b: 3 }]);
  });

  test('client emitWithAck resolves with the first value of the server ack', async () => {
    const { client, socket } = await connectedPair(setup);
    socket.on('double', (n: number, callback: (n: number) => void) => callback(n * 2));
    assert.equal(await client.emitWithAck('double', 21), 42);
  });

  test('server acks may be answered asynchronously and out of order', async () => {
    const { client, socket } = await connectedPair(setup);
    const pending: Array<() => void> = [];
    socket.on('later', (n: number, callback: (n: number) => void) => {
      pending.push(() => callback(n));
      if (pending.length === 3) for (const answer of pending.reverse()) answer();
    });
    const answers = await Promise.all([1, 2, 3].map((n) => client.emitWithAck('later', n)));
    assert.deepEqual(answers, [1, 2, 3]);
  });

  test('server socket.emit with an ack callback gets the values the client acks with', async () => {
    const { client, socket } = await connectedPair(setup);
    client.on('ask', (q: string, callback: (...args: unknown[]) => void) => callback(`re: ${q}`, 7, null));
    const answer = deferred<unknown[]>();
    socket.emit('ask', 'hi', (...args: unknown[]) => answer.resolve(args));
    assert.deepEqual(await answer.promise, ['re: hi', 7, null]);
  });

  test('server socket.emitWithAck resolves with the first value of the client ack', async () => {
    const { client, socket } = await connectedPair(setup);
    client.on('triple', (n: number, callback: (n: number, extra: string) => void) =>
      callback(n * 3, 'ignored'),
    );
    assert.equal(await socket.emitWithAck('triple', 5), 15);
  });

  test('server socket.timeout(ms).emitWithAck resolves when the client answers in time', async () => {
    const { client, socket } = await connectedPair(setup);
    client.on('echo', (value: unknown, callback: (v: unknown) => void) => callback(value));
    assert.deepEqual(await socket.timeout(2000).emitWithAck('echo', { ok: 1 }), { ok: 1 });
  });

  test('server socket.timeout(ms).emitWithAck rejects with "operation has timed out" when the client does not ack', async () => {
    const { client, socket } = await connectedPair(setup);
    const received = waitForArgs(client, 'ignored');
    const started = Date.now();
    await assert.rejects(socket.timeout(150).emitWithAck('ignored', 1), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.message, 'operation has timed out');
      return true;
    });
    assert.ok(Date.now() - started >= 140, 'rejected no earlier than the timeout');
    // The client did get the event (with an ack function it chose not to call).
    const args = await received;
    assert.equal(args[0], 1);
    assert.equal(typeof args[1], 'function');
  });

  test('server socket.timeout(ms).emit with a callback gets (err) on timeout and (null, ...values) on answer', async () => {
    const { client, socket } = await connectedPair(setup);
    client.on('maybe', (answer: boolean, callback: (v: string, w: number) => void) => {
      if (answer) callback('yes', 2);
    });
    const timedOut = deferred<unknown[]>();
    socket.timeout(150).emit('maybe', false, (...args: unknown[]) => timedOut.resolve(args));
    const answered = deferred<unknown[]>();
    socket.timeout(2000).emit('maybe', true, (...args: unknown[]) => answered.resolve(args));
    const [err] = await timedOut.promise;
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'operation has timed out');
    assert.deepEqual(await answered.promise, [null, 'yes', 2]);
  });

  test("send() is emit('message') in both directions", async () => {
    const { client, socket } = await connectedPair(setup);
    const atServer = waitForArgs(socket, 'message');
    client.send('from client', 1);
    assert.deepEqual(await atServer, ['from client', 1]);
    const atClient = waitForArgs(client, 'message');
    socket.send('from server', 2);
    assert.deepEqual(await atClient, ['from server', 2]);
  });

  test('server onAny sees incoming events with their arguments; offAny stops it', async () => {
    const { client, socket } = await connectedPair(setup);
    const seen: unknown[][] = [];
    const listener = (...args: unknown[]) => seen.push(args);
    socket.onAny(listener);
    const first = waitForArgs(socket, 'two');
    client.emit('one', 1);
    client.emit('two', 'a', { b: 2 });
    await first;
    assert.deepEqual(seen, [
      ['one', 1],
      ['two', 'a', { b: 2 }],
    ]);
    socket.offAny(listener);
    const third = waitForArgs(socket, 'three');
    client.emit('three');
    await third;
    assert.equal(seen.length, 2);
  });

  test('server onAny receives the ack function as the last argument', async () => {
    const { client, socket } = await connectedPair(setup);
    socket.onAny((event: string, ...args: unknown[]) => {
      const callback = args.at(-1);
      if (event === 'via-any' && typeof callback === 'function') callback('acked by onAny');
    });
    assert.equal(await client.emitWithAck('via-any', 1), 'acked by onAny');
  });

  test('server onAnyOutgoing sees outgoing events with their arguments; offAnyOutgoing stops it', async () => {
    const { client, socket } = await connectedPair(setup);
    const seen: unknown[][] = [];
    const listener = (...args: unknown[]) => seen.push(args);
    socket.onAnyOutgoing(listener);
    socket.emit('out', 1, { two: 2 });
    socket.emit('out2');
    assert.deepEqual(seen, [['out', 1, { two: 2 }], ['out2']]);
    socket.offAnyOutgoing(listener);
    const last = waitForArgs(client, 'out3');
    socket.emit('out3');
    await last;
    assert.equal(seen.length, 2);
  });

  test('server refuses to emit reserved event names', async () => {
    const { socket } = await connectedPair(setup);
    for (const name of [
      'connect',
      'connect_error',
      'disconnect',
      'disconnecting',
      'newListener',
      'removeListener',
    ]) {
      // socket.io 4.x message: `"${ev}" is a reserved event name`
      assert.throws(() => socket.emit(name as 'x'), { message: `"${name}" is a reserved event name` });
    }
  });

  for (const option of ['maxPayload', 'maxHttpBufferSize'] as const) {
    test(`a message over the ${option} limit closes the connection and is not delivered`, async () => {
      const server = await startServer({ [option]: 10_000 });
      const connection = deferred<ServerSocket>();
      server.io.on('connection', (s) => connection.resolve(s));
      const client = await connectClient(server.url, { setup, upgraded: true });
      const socket = await connection.promise;
      const delivered: number[] = [];
      socket.on('data', (payload: string, cb?: () => void) => {
        delivered.push(payload.length);
        cb?.();
      });
      const serverReason = waitForArgs(socket, 'disconnect');
      const clientReason = waitForArgs(client, 'disconnect');
      // Under the limit: delivered (acked first, so it cannot share a polling request with the big one).
      await client.emitWithAck('data', 'x'.repeat(9_000));
      client.emit('data', 'x'.repeat(20_000));
      const [server1] = await serverReason;
      const [client1] = await clientReason;
      assert.deepEqual(delivered, [9_000]);
      // socket.io 4.8: over websocket the server fails the frame ("transport error", the client sees the
      // socket close); over polling the POST is refused with HTTP 413 (the client reports "transport
      // error", the server then drops the session: "transport close").
      if (setup.finalTransport === 'websocket') {
        assert.equal(server1, 'transport error');
        assert.equal(client1, 'transport close');
      } else {
        assert.equal(server1, 'transport close');
        assert.equal(client1, 'transport error');
      }
    });
  }
});
