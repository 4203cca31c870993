/**
 * Application code that throws or rejects (a bug, or input a database refuses) is reported on
 * stderr and the server goes on: a connection middleware's failure refuses the client without
 * telling it the server's error, a packet middleware's is the socket's 'error', an async
 * listener's rejection is reported like a throw. socket.io leaves all of these to end the process
 * (uncaughtException, unhandledRejection), so these tests run on parley only.
 */
import assert from 'node:assert/strict';
import { afterEach, test, type TestContext } from 'node:test';
import { connectClient, makeClient } from '../support/clients.js';
import { WsClient } from '../support/raw-clients.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { deferred, waitFor, waitUntil, withTimeout } from '../support/waiting.js';

afterEach(cleanup);

/** console.error replaced by a recorder for the test: the lines written, joined. */
function recordErrors(t: TestContext): () => string[] {
  const mocked = t.mock.method(console, 'error', () => undefined);
  return () => mocked.mock.calls.map((call) => call.arguments.map(String).join(' '));
}

const FAILURES = [
  {
    name: 'throws',
    middleware: (): void => {
      throw new TypeError("Cannot read properties of undefined (reading 'token')");
    },
  },
  {
    name: 'rejects',
    middleware: async (): Promise<void> => {
      await Promise.resolve();
      throw new TypeError("Cannot read properties of undefined (reading 'token')");
    },
  },
];

for (const { name, middleware } of FAILURES) {
  test(`a connection middleware that ${name}: both kinds of client are refused without the error's text; it is on stderr; the next client is served`, async (t) => {
    const errors = recordErrors(t);
    const server = await startServer({}, PARLEY);
    let failing = true;
    server.io.use((_socket, next) => (failing ? middleware() : next()));

    const client = makeClient(server.url, { transports: ['websocket'], reconnection: false });
    try {
      const err = await waitFor<Error>(client, 'connect_error');
      assert.equal(err.message, 'Internal server error');
    } finally {
      client.disconnect();
    }
    const peer = new WsClient(server.wsUrl());
    assert.deepEqual(await peer.nextJson('the connect_error frame'), {
      event: 'connect_error',
      data: { message: 'Internal server error' },
    });
    assert.equal((await withTimeout(peer.closed, 'the close')).code, 1008);

    await waitUntil(() => errors().length === 2, 'both failures reported');
    for (const line of errors()) {
      assert.match(line, /a middleware of namespace "\/" failed/);
      assert.match(line, /reading 'token'/);
    }
    failing = false;
    const served = await connectClient(server.url);
    served.disconnect();
  });
}

test('a middleware that throws after next() lets the client in; the throw is reported', async (t) => {
  const errors = recordErrors(t);
  const server = await startServer({}, PARLEY);
  server.io.use((_socket, next) => {
    next();
    throw new Error('after next');
  });
  const client = await connectClient(server.url);
  client.disconnect();
  assert.equal(errors().length, 1);
  assert.match(errors()[0]!, /after next/);
});

test("an async packet middleware's rejection is the socket's 'error', and the packet goes no further", async () => {
  const server = await startServer({}, PARLEY);
  const errorSeen = deferred<Error>();
  const delivered: unknown[] = [];
  server.io.on('connection', (socket) => {
    socket.use(async ([event], next) => {
      if (event === 'bad') throw new Error('refused by the database');
      next();
    });
    socket.on('error', (err) => errorSeen.resolve(err));
    socket.on('bad', () => delivered.push('bad'));
    socket.on('good', (ack: (reply: string) => void) => ack('ok'));
  });
  const client = await connectClient(server.url);
  try {
    client.emit('bad');
    assert.equal(
      (await withTimeout(errorSeen.promise, "the socket's error")).message,
      'refused by the database',
    );
    // The connection still serves, and the refused packet never reached its listener.
    assert.equal(await client.timeout(5000).emitWithAck('good'), 'ok');
    assert.deepEqual(delivered, []);
  } finally {
    client.disconnect();
  }
});

test("an async event listener's rejection is reported like a throw; the socket goes on", async (t) => {
  const errors = recordErrors(t);
  const server = await startServer({}, PARLEY);
  server.io.on('connection', (socket) => {
    socket.on('save', async () => {
      await Promise.resolve();
      throw new Error('constraint failed');
    });
    socket.on('ping?', (ack: (reply: string) => void) => ack('pong'));
  });
  const client = await connectClient(server.url);
  try {
    client.emit('save');
    await waitUntil(() => errors().length === 1, 'the rejection reported');
    assert.match(errors()[0]!, /a listener of "save" threw/);
    assert.match(errors()[0]!, /constraint failed/);
    assert.equal(await client.timeout(5000).emitWithAck('ping?'), 'pong');
  } finally {
    client.disconnect();
  }
});

test("a listener's returned thenable that is not a promise is left alone (then() could run a query)", async () => {
  const server = await startServer({}, PARLEY);
  let thenCalls = 0;
  server.io.on('connection', (socket) => {
    socket.on('query', () => ({
      // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise, on purpose.
      then(): void {
        thenCalls++;
      },
    }));
    socket.on('ping?', (ack: (reply: string) => void) => ack('pong'));
  });
  const client = await connectClient(server.url);
  try {
    client.emit('query');
    // Events reach listeners in order: once the later one answers, the first has run.
    assert.equal(await client.timeout(5000).emitWithAck('ping?'), 'pong');
    assert.equal(thenCalls, 0);
  } finally {
    client.disconnect();
  }
});
