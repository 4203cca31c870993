/**
 * Frames the server refuses: each is answered by {"event":"error","data":{"code","message"}} and the
 * connection stays open. Every case is sandwiched between two good frames (events with acks), and the
 * client must see: the first ack, the error frame, the second ack — nothing lost, nothing reordered.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { ServerOptions, Socket } from '../../src/index.js';
import type { WsClient } from '../support/raw-clients.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, disconnectReason, serverSocket, type TestServer } from './support.js';

afterEach(cleanup);

const LIMIT = 1000;

/** A server with a small frame limit that acks `echo` events and records every event it handles. */
async function echoServer(options: Partial<ServerOptions> = { maxPayload: LIMIT }) {
  const server = await startServer(options, PARLEY);
  const events: unknown[][] = [];
  server.io.on('connection', (socket: Socket) => {
    socket.onAny((...args: unknown[]) => {
      events.push(args.filter((arg) => typeof arg !== 'function'));
    });
    socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value));
  });
  return { server, events };
}

interface ErrorFrame {
  event: 'error';
  data: { code: string; message: string };
}

/**
 * Sends a good frame, `bad()`, another good frame; asserts the client gets the first ack, the error
 * frame with `code`, then the second ack. Returns the error frame.
 */
async function sandwich(peer: WsClient, bad: () => void, code: string): Promise<ErrorFrame> {
  peer.sendJson({ event: 'echo', data: 'before', id: 1 });
  bad();
  peer.sendJson({ event: 'echo', data: 'after', id: 2 });
  assert.deepEqual(await peer.nextJson('the ack of the frame before'), { ack: 1, data: 'before' });
  const error = (await peer.nextJson('the error frame')) as ErrorFrame;
  assert.equal(error.event, 'error');
  assert.equal(error.data.code, code);
  assert.equal(typeof error.data.message, 'string');
  assert.ok(error.data.message.length > 0);
  assert.deepEqual(Object.keys(error).sort(), ['data', 'event']);
  assert.deepEqual(await peer.nextJson('the ack of the frame after'), { ack: 2, data: 'after' });
  return error;
}

/** The connection is still usable, and the server-side socket still connected. */
async function assertStillOpen(server: TestServer, peer: WsClient, id: string): Promise<void> {
  peer.sendJson({ event: 'echo', data: 'still open', id: 99 });
  assert.deepEqual(await peer.nextJson(), { ack: 99, data: 'still open' });
  assert.ok(serverSocket(server.io, id).connected);
  assert.equal(peer.pending, 0, 'unexpected extra frames');
}

describe('refused text frames', () => {
  const cases: [string, string, string][] = [
    ['text that is not JSON', 'not json {', 'invalid_json'],
    ['an empty text frame', '', 'invalid_json'],
    ['an event name that is not a string', '{"event":5}', 'invalid_envelope'],
    ['an empty event name', '{"event":"","data":1}', 'invalid_envelope'],
    ['an ack id that is not a number', '{"ack":"x"}', 'invalid_envelope'],
    ['a negative ack id', '{"ack":-3,"data":1}', 'invalid_envelope'],
    ['an event id that is not an integer', '{"event":"echo","data":1,"id":"7"}', 'invalid_envelope'],
    ['"args" that is not an array', '{"event":"echo","args":{"a":1}}', 'invalid_envelope'],
    ['a bad "attachments" count', '{"event":"echo","attachments":"2"}', 'invalid_envelope'],
    ['the reserved event "disconnect"', '{"event":"disconnect"}', 'reserved_event'],
    ['the reserved event "connect"', '{"event":"connect","data":{}}', 'reserved_event'],
    ['the reserved event "disconnecting"', '{"event":"disconnecting"}', 'reserved_event'],
    ['more attachments than allowed', '{"event":"echo","attachments":11}', 'too_many_attachments'],
  ];
  for (const [name, text, code] of cases) {
    test(`${name} is answered with "${code}"; frames around it are kept`, async () => {
      const { server, events } = await echoServer();
      const { peer, id } = await connectPlain(server);
      await sandwich(peer, () => peer.ws.send(text), code);
      await assertStillOpen(server, peer, id);
      assert.deepEqual(events, [['echo', 'before'], ['echo', 'after'], ['echo', 'still open']]);
    });
  }
});

describe('frame size limit', () => {
  test('a text frame over maxPayload is answered with "frame_too_large"', async () => {
    const { server, events } = await echoServer();
    const { peer, id } = await connectPlain(server);
    const error = await sandwich(
      peer,
      () => peer.sendJson({ event: 'echo', data: 'x'.repeat(LIMIT) }),
      'frame_too_large',
    );
    assert.match(error.data.message, new RegExp(String(LIMIT)));
    await assertStillOpen(server, peer, id);
    assert.equal(events.length, 3);
  });

  test('a binary frame over the limit is refused the same way', async () => {
    const { server } = await echoServer();
    const { peer, id } = await connectPlain(server);
    await sandwich(peer, () => peer.ws.send(Buffer.alloc(LIMIT + 1)), 'frame_too_large');
    await assertStillOpen(server, peer, id);
  });

  test('a frame of exactly the limit is accepted', async () => {
    const { server } = await echoServer();
    const { peer } = await connectPlain(server);
    const data = 'y'.repeat(LIMIT - JSON.stringify({ event: 'echo', data: '', id: 5 }).length);
    const text = JSON.stringify({ event: 'echo', data, id: 5 });
    assert.equal(Buffer.byteLength(text), LIMIT);
    peer.ws.send(text);
    assert.deepEqual(await peer.nextJson(), { ack: 5, data });
  });

  test('plainWebSocket.maxFrameBytes sets the limit of plain clients', async () => {
    const { server } = await echoServer({ plainWebSocket: { maxFrameBytes: 200 } });
    const { peer, id } = await connectPlain(server);
    await sandwich(peer, () => peer.sendJson({ event: 'echo', data: 'z'.repeat(300) }), 'frame_too_large');
    await assertStillOpen(server, peer, id);
  });

  test('a frame far over the limit closes the connection with 1009', async () => {
    const { server } = await echoServer();
    const { peer, id } = await connectPlain(server);
    const reason = disconnectReason(serverSocket(server.io, id));
    peer.ws.send(Buffer.alloc(LIMIT * 5));
    const closed = await peer.closed;
    assert.equal(closed.code, 1009);
    assert.equal(await reason, 'transport error');
  });
});

describe('binary attachments', () => {
  test('a text frame where binary attachments were announced: "missing_attachments", the text frame is kept', async () => {
    const { server, events } = await echoServer();
    const { peer, id } = await connectPlain(server);
    // The announced binary frame never comes: the "after" frame of the sandwich takes its place.
    await sandwich(
      peer,
      () => peer.sendJson({ event: 'echo', data: { _placeholder: true, num: 0 }, attachments: 1, id: 7 }),
      'missing_attachments',
    );
    await assertStillOpen(server, peer, id);
    assert.deepEqual(events, [['echo', 'before'], ['echo', 'after'], ['echo', 'still open']]);
  });

  test('a placeholder without its binary frame is answered with "missing_attachments"', async () => {
    const { server, events } = await echoServer();
    const { peer, id } = await connectPlain(server);
    await sandwich(
      peer,
      () => {
        peer.sendJson({ event: 'echo', data: { _placeholder: true, num: 1 }, attachments: 1, id: 7 });
        peer.ws.send(Buffer.from('only frame 0'));
      },
      'missing_attachments',
    );
    await assertStillOpen(server, peer, id);
    assert.equal(events.length, 3);
  });

  test('an oversized attachment drops its envelope with "frame_too_large"', async () => {
    const { server, events } = await echoServer();
    const { peer, id } = await connectPlain(server);
    await sandwich(
      peer,
      () => {
        peer.sendJson({ event: 'echo', data: { _placeholder: true, num: 0 }, attachments: 1, id: 7 });
        peer.ws.send(Buffer.alloc(LIMIT + 1));
      },
      'frame_too_large',
    );
    await assertStillOpen(server, peer, id);
    assert.equal(events.length, 3);
  });
});

test('several bad frames in a row each get their own error frame, in order', async () => {
  const { server, events } = await echoServer();
  const { peer, id } = await connectPlain(server);
  peer.ws.send('{');
  peer.ws.send('{"event":5}');
  peer.ws.send('{"event":"removeListener"}');
  peer.sendJson({ event: 'echo', data: 'ok', id: 1 });
  const codes = [];
  for (let i = 0; i < 3; i++) codes.push(((await peer.nextJson()) as ErrorFrame).data.code);
  assert.deepEqual(codes, ['invalid_json', 'invalid_envelope', 'reserved_event']);
  assert.deepEqual(await peer.nextJson(), { ack: 1, data: 'ok' });
  await assertStillOpen(server, peer, id);
  assert.equal(events.length, 2);
});
