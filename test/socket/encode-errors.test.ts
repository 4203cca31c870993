/**
 * Replies that cannot be encoded (parley only): `socket.emit`, broadcasts and ack functions throw a
 * typed EncodeError before anything is sent to anyone, `emitWithAck` rejects with it, no answer is
 * left waiting; one that escapes a listener is logged as one line without a stack, at most once
 * per socket every few seconds, and the connection stays usable. Over the official socket.io-client,
 * a raw Socket.IO peer (for JSON deeper than a JavaScript client can write) and plain WebSocket.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, mock, test } from 'node:test';
import { EncodeError, MAX_ENCODE_DEPTH, type Socket } from '../../src/index.js';
import { ENCODE_ERROR_REPORT_MS, TypedEmitter } from '../../src/socket/emitter.js';
import { waitForArgs } from '../support/waiting.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, connectSio, serverSocket, type TestServer } from '../native/support.js';
import { deepArrayJson, RawSocketIoPeer } from './support.js';

afterEach(cleanup);

/** A value nested deeper than parley encodes, that JavaScript clients can still write. */
const TOO_DEEP_FOR_PARLEY = 2 * MAX_ENCODE_DEPTH;

function circular(): Record<string, unknown> {
  const value: Record<string, unknown> = { name: 'loop' };
  value.self = value;
  return value;
}

const UNENCODABLE: [string, () => unknown, string][] = [
  ['5,000 levels deep', () => JSON.parse(deepArrayJson(5000)), 'too deeply nested'],
  ['circular', circular, 'circular reference'],
  ['a BigInt', () => ({ n: 1n }), 'not serializable'],
];

function assertEncodeError(err: unknown, code: string): true {
  assert.ok(err instanceof EncodeError, `expected an EncodeError, got ${String(err)}`);
  assert.equal(err.name, 'EncodeError');
  assert.equal(err.code, code);
  return true;
}

/** A server with one official client, one plain client, and their server-side sockets. */
async function twoClients() {
  const server = await startServer({}, PARLEY);
  const sio = await connectSio(server);
  const plain = await connectPlain(server);
  return {
    server,
    sio,
    plain: plain.peer,
    sioSocket: serverSocket(server.io, sio.id ?? ''),
    plainSocket: serverSocket(server.io, plain.id),
  };
}

/** Asserts the next thing each client receives is the event `marker`: nothing came before it. */
async function assertNextIsMarker(server: TestServer, clients: Awaited<ReturnType<typeof twoClients>>) {
  const sioMarker = waitForArgs(clients.sio, 'marker');
  let sioFirst: string | undefined;
  clients.sio.onAny((event: string) => {
    sioFirst ??= event;
  });
  server.io.emit('marker', 1);
  await sioMarker;
  assert.equal(sioFirst, 'marker');
  assert.deepEqual(await clients.plain.nextJson('the marker'), { event: 'marker', data: 1 });
}

describe('emits and broadcasts throw EncodeError and send nothing', () => {
  for (const [name, make, code] of UNENCODABLE) {
    test(`socket.emit of ${name} throws EncodeError (${code}) to the caller, on both kinds of client`, async () => {
      const clients = await twoClients();
      for (const socket of [clients.sioSocket, clients.plainSocket]) {
        assert.throws(
          () => socket.emit('reply', make()),
          (err) => assertEncodeError(err, code),
        );
        assert.throws(
          () => socket.emit('reply', 'ok', make(), () => {}),
          (err) => assertEncodeError(err, code),
        );
      }
      await assertNextIsMarker(clients.server, clients);
    });

    test(`io.emit, io.to(room).emit and socket.broadcast.emit of ${name} throw and reach nobody`, async () => {
      const clients = await twoClients();
      const { io } = clients.server;
      clients.sioSocket.join('room');
      clients.plainSocket.join('room');
      const check = (err: unknown) => assertEncodeError(err, code);
      assert.throws(() => io.emit('news', make()), check);
      assert.throws(() => io.to('room').emit('news', make()), check);
      assert.throws(() => io.of('/').except('none').emit('news', make()), check);
      assert.throws(() => clients.sioSocket.broadcast.emit('news', make()), check);
      assert.throws(() => clients.plainSocket.to('room').emit('news', make()), check);
      assert.throws(() => io.timeout(1000).emit('news', make(), () => assert.fail('no answer')), check);
      await assertNextIsMarker(clients.server, clients);
    });
  }

  test('emitWithAck rejects with the EncodeError: on a socket, with a timeout, and on a broadcast', async () => {
    const clients = await twoClients();
    const { io } = clients.server;
    for (const socket of [clients.sioSocket, clients.plainSocket]) {
      await assert.rejects(socket.emitWithAck('ask', circular()), (err) =>
        assertEncodeError(err, 'circular reference'),
      );
      await assert.rejects(socket.timeout(1000).emitWithAck('ask', { n: 2n }), (err) =>
        assertEncodeError(err, 'not serializable'),
      );
    }
    await assert.rejects(io.timeout(1000).emitWithAck('ask', circular()), (err) =>
      assertEncodeError(err, 'circular reference'),
    );
    await assertNextIsMarker(clients.server, clients);
  });

  test('an emit that threw leaves no answer waiting: its callback never runs, not even at its timeout', async () => {
    const clients = await twoClients();
    const calls: unknown[][] = [];
    const socket = clients.plainSocket;
    assert.throws(() => socket.timeout(20).emit('ask', circular(), (...args: unknown[]) => calls.push(args)));
    // The flags were used up by the failed emit: this one has its own, longer timeout, which the
    // plain client (it never answers) lets pass. Timers fire in order: the failed emit's 20 ms
    // would have come first.
    await assert.rejects(socket.timeout(60).emitWithAck('unanswered', 1), /timed out/);
    assert.deepEqual(calls, []);
    const question = (await clients.plain.nextJson('the unanswered question')) as Record<string, unknown>;
    assert.deepEqual([question.event, question.data], ['unanswered', 1], 'the failed emit sent nothing');
  });
});

describe('acks that cannot be encoded', () => {
  test('ack() throws the EncodeError to the listener, which may answer again', async () => {
    const server = await startServer({}, PARLEY);
    const thrown: unknown[] = [];
    server.io.on('connection', (socket: Socket) => {
      socket.on('echo', (value: unknown, ack: (answer: unknown) => void) => {
        try {
          ack(value);
        } catch (err) {
          thrown.push(err);
          ack({ refused: (err as EncodeError).code });
        }
      });
    });
    const sio = await connectSio(server);
    const deep = JSON.parse(deepArrayJson(TOO_DEEP_FOR_PARLEY));
    assert.deepEqual(await sio.emitWithAck('echo', deep), { refused: 'too deeply nested' });
    const { peer } = await connectPlain(server);
    peer.ws.send(`{"event":"echo","data":${deepArrayJson(5000)},"id":4}`);
    assert.deepEqual(await peer.nextJson('the second answer'), {
      ack: 4,
      data: { refused: 'too deeply nested' },
    });
    assert.equal(thrown.length, 2);
    for (const err of thrown) assertEncodeError(err, 'too deeply nested');
  });
});

/** The console.error lines about EncodeErrors, captured for the test. */
function captureEncodeErrorLines(): { lines: () => string[]; others: () => unknown[][] } {
  const spy = mock.method(console, 'error', () => {});
  const calls = () => spy.mock.calls.map((call) => call.arguments as unknown[]);
  return {
    lines: () =>
      calls()
        .filter((args) => String(args[0]).includes('EncodeError'))
        .map((args) => {
          assert.equal(args.length, 1, 'one string, no error object (whose stack would be printed)');
          return String(args[0]);
        }),
    others: () => calls().filter((args) => !String(args[0]).includes('EncodeError')),
  };
}

function assertOneLine(line: string, socketId: string, event: string): void {
  assert.ok(!line.includes('\n'), `one line: ${line}`);
  assert.ok(!/\bat .+:\d+:\d+/.test(line), `no stack: ${line}`);
  assert.ok(line.includes(socketId), `names the socket: ${line}`);
  assert.ok(line.includes(`"${event}"`), `names the event: ${line}`);
  assert.ok(line.includes('too deeply nested'), `says why: ${line}`);
  assert.ok(line.length < 300, `short: ${line.length} characters`);
}

describe('an EncodeError that escapes a listener', () => {
  afterEach(() => mock.restoreAll());

  test('Socket.IO: a 5,000-deep payload echoed back is one short log line per socket; the connection stays usable', async () => {
    const server = await startServer({}, PARLEY);
    server.io.on('connection', (socket: Socket) => {
      socket.on('echo', (value: unknown, ack: (answer: unknown) => void) => ack(value));
    });
    const log = captureEncodeErrorLines();
    const raw = await RawSocketIoPeer.connect(server);
    raw.send(`21["echo",${deepArrayJson(5000)}]`);
    raw.send(`22["echo",${deepArrayJson(5000)}]`);
    raw.send('23["echo","small"]');
    // Answers go in order: the first answer to arrive is the small one's, so the deep ones sent nothing.
    assert.equal(await raw.nextPacket('the small answer'), '33["small"]');
    const sio = await connectSio(server);
    const deep = JSON.parse(deepArrayJson(TOO_DEEP_FOR_PARLEY));
    let deepAnswered = false;
    sio.emit('echo', deep, () => (deepAnswered = true));
    assert.equal(await sio.emitWithAck('echo', 'after'), 'after');
    assert.equal(deepAnswered, false);
    assert.equal(serverSocket(server.io, raw.sid).connected, true);

    const lines = log.lines();
    assert.equal(
      lines.length,
      2,
      `one line per socket (the raw peer's second failure is left out):\n${lines.join('\n')}`,
    );
    assertOneLine(lines[0]!, raw.sid, 'echo');
    assertOneLine(lines[1]!, sio.id ?? '', 'echo');
    assert.deepEqual(log.others(), []);
  });

  test('plain: a 5,000-deep payload echoed back is one short log line; the connection stays usable', async () => {
    const server = await startServer({}, PARLEY);
    server.io.on('connection', (socket: Socket) => {
      socket.on('echo', (value: unknown, ack: (answer: unknown) => void) => ack(value));
      socket.on('shout', (value: unknown) => socket.emit('shout', value));
    });
    const log = captureEncodeErrorLines();
    const { peer, id } = await connectPlain(server);
    peer.ws.send(`{"event":"echo","data":${deepArrayJson(5000)},"id":1}`);
    peer.ws.send(`{"event":"shout","data":${deepArrayJson(5000)}}`);
    peer.sendJson({ event: 'echo', data: 'small', id: 2 });
    assert.deepEqual(await peer.nextJson('the small answer'), { ack: 2, data: 'small' });
    assert.equal(peer.pending, 0, 'nothing else was sent');
    const lines = log.lines();
    assert.equal(lines.length, 1, lines.join('\n'));
    assertOneLine(lines[0]!, id, 'echo');
  });
});

/** An emitter whose events the test fires, as a socket fires its listeners. */
class Probe extends TypedEmitter<{ work: () => void }> {
  fire(): void {
    this.emitEvent('work', []);
  }
}

describe('how often listener errors are logged', () => {
  afterEach(() => mock.restoreAll());

  test('at most one EncodeError line per emitter per period; the next line counts those left out', () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const spy = mock.method(console, 'error', () => {});
    const lines = () => spy.mock.calls.map((call) => String(call.arguments[0]));
    const failing = new Probe().on('work', () => {
      throw new EncodeError({
        code: 'circular reference',
        message: 'the payload contains a circular reference',
      });
    });
    const other = new Probe().on('work', () => {
      throw new EncodeError({ code: 'too deeply nested', message: 'deep' });
    });
    failing.fire();
    failing.fire();
    failing.fire();
    other.fire();
    assert.equal(lines().length, 2, 'one line per emitter');
    mock.timers.tick(ENCODE_ERROR_REPORT_MS - 1);
    failing.fire();
    assert.equal(lines().length, 2);
    mock.timers.tick(1);
    failing.fire();
    assert.equal(lines().length, 3);
    assert.match(lines()[2]!, /3 more since the last report/);
    assert.doesNotMatch(lines()[0]!, /more since/);
  });

  test('other listener errors are still reported with the error itself, every time', () => {
    const spy = mock.method(console, 'error', () => {});
    const boom = new Error('boom');
    const probe = new Probe().on('work', () => {
      throw boom;
    });
    probe.fire();
    probe.fire();
    assert.equal(spy.mock.callCount(), 2);
    assert.equal(spy.mock.calls[0]!.arguments[1], boom);
  });
});
