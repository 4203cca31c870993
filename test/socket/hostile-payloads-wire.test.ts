/**
 * Hostile payloads inside valid packets, over real connections (parley only: socket.io differs on
 * placeholders). An own `__proto__` key beside binary reaches the handler as an own key, never as
 * a prototype, over Socket.IO and plain WebSocket, and an echo sends it back unchanged; a
 * placeholder that names no attachment received is told to the socket's 'error' listeners and
 * closes a Socket.IO connection ('forced close', as socket.io treats input it cannot decode), and is answered on a plain one with an error frame (the connection stays open); a 5,000-deep
 * payload reaches its handler intact.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket } from '../../src/index.js';
import { waitForArgs, withTimeout } from '../support/waiting.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, connectSio, disconnectReason, serverSocket } from '../native/support.js';
import { arrayDepth, deepArrayJson, RawSocketIoPeer } from './support.js';

afterEach(cleanup);

const PLACEHOLDER_0 = '{"_placeholder":true,"num":0}';

/** The arguments of the next `event` any socket of the server receives. */
function nextEvent(io: { on(event: 'connection', fn: (socket: Socket) => void): unknown }, event: string) {
  return new Promise<unknown[]>((resolve) => {
    io.on('connection', (socket) => socket.on(event, (...args: unknown[]) => resolve(args)));
  });
}

function ownValue(value: unknown, key: string): unknown {
  assert.ok(value !== null && typeof value === 'object');
  const descriptor = Object.getOwnPropertyDescriptor(value, key);
  assert.ok(descriptor && 'value' in descriptor, `an own data property ${key}`);
  return descriptor.value;
}

test('Socket.IO: {"__proto__": <placeholder>} reaches the handler as an own key holding the Buffer, and echoes back unchanged', async () => {
  const server = await startServer({}, PARLEY);
  const received = nextEvent(server.io, 'message');
  server.io.on('connection', (socket: Socket) => {
    socket.on('message', (value: unknown) => socket.emit('message', value));
  });
  const peer = await RawSocketIoPeer.connect(server);
  const bytes = Buffer.from('attachment');
  peer.send(`51-["message",{"__proto__":${PLACEHOLDER_0}}]`, bytes);
  const [value] = await withTimeout(received, 'the event');
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Object.keys(value as object), ['__proto__']);
  assert.deepEqual(ownValue(value, '__proto__'), bytes);
  // The echo: the same packet, the same attachment.
  assert.equal(await peer.nextPacket('the echo'), `51-["message",{"__proto__":${PLACEHOLDER_0}}]`);
  assert.deepEqual(await peer.nextAttachment('the echoed attachment'), bytes);
});

test('Socket.IO: an official client receives a relayed {"__proto__": <binary>} as an own key', async () => {
  const server = await startServer({}, PARLEY);
  server.io.on('connection', (socket: Socket) => {
    socket.on('relay', (value: unknown) => socket.broadcast.emit('relayed', value));
  });
  const client = await connectSio(server);
  const relayed = waitForArgs(client, 'relayed');
  const peer = await RawSocketIoPeer.connect(server);
  peer.send(`51-["relay",{"__proto__":${PLACEHOLDER_0}}]`, Buffer.from([1, 2, 3]));
  const [value] = await relayed;
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Buffer.from(ownValue(value, '__proto__') as Uint8Array), Buffer.from([1, 2, 3]));
});

test('plain: an own __proto__ beside an attachment is not read as inherited fields (the client does not join "x")', async () => {
  const server = await startServer({}, PARLEY);
  let joined: unknown;
  server.io.on('connection', (socket: Socket) => {
    socket.on('join', (data: { room?: unknown }, ack?: (answer: unknown) => void) => {
      joined = data.room;
      if (typeof data.room === 'string') socket.join(data.room);
      ack?.({ keys: Object.keys(data), room: data.room ?? null });
    });
  });
  const { peer, id } = await connectPlain(server);
  peer.sendJson({
    event: 'join',
    data: JSON.parse(`{"__proto__":{"room":"x"},"file":${PLACEHOLDER_0}}`),
    attachments: 1,
    id: 1,
  });
  peer.ws.send(Buffer.from('file'));
  assert.deepEqual(await peer.nextJson('the ack'), {
    ack: 1,
    data: { keys: ['__proto__', 'file'], room: null },
  });
  assert.equal(joined, undefined);
  assert.deepEqual([...serverSocket(server.io, id).rooms], [id]);

  // The frame, whose attachment no placeholder uses: refused, the connection stays open.
  peer.ws.send('{"event":"join","data":{"__proto__":{"room":"x"}},"attachments":1}');
  peer.ws.send(Buffer.from('unused'));
  const refused = (await peer.nextJson('the error frame')) as { event: string; data: { code: string } };
  assert.deepEqual([refused.event, refused.data.code], ['error', 'invalid_envelope']);
  assert.deepEqual([...serverSocket(server.io, id).rooms], [id]);
  peer.sendJson({ event: 'join', data: { room: 'y' }, id: 2 });
  assert.deepEqual(await peer.nextJson('the second ack'), { ack: 2, data: { keys: ['room'], room: 'y' } });
});

test('plain: an echo of {"__proto__": <binary>} goes back with the own key and the binary frame', async () => {
  const server = await startServer({}, PARLEY);
  server.io.on('connection', (socket: Socket) => {
    socket.on('echo', (value: unknown) => socket.emit('echo', value));
  });
  const { peer } = await connectPlain(server);
  peer.ws.send(`{"event":"echo","data":{"__proto__":${PLACEHOLDER_0}},"attachments":1}`);
  peer.ws.send(Buffer.from('bytes'));
  assert.equal(
    await peer.nextText('the echo'),
    `{"event":"echo","data":{"__proto__":${PLACEHOLDER_0}},"attachments":1}`,
  );
  assert.deepEqual(await peer.nextBinary('the echoed binary frame'), Buffer.from('bytes'));
});

const BAD_PLACEHOLDERS: [string, string, Buffer[]][] = [
  ['num "0"', `51-["m",{"_placeholder":true,"num":"0"}]`, [Buffer.from('a')]],
  ['num 5', `51-["m",{"_placeholder":true,"num":5}]`, [Buffer.from('a')]],
  ['num -1', `51-["m",{"_placeholder":true,"num":-1}]`, [Buffer.from('a')]],
  ['num 0.5', `51-["m",{"_placeholder":true,"num":0.5}]`, [Buffer.from('a')]],
  ['no attachments announced', `2["m",{"x":[${PLACEHOLDER_0}]}]`, []],
  ['an attachment left unused', `52-["m",${PLACEHOLDER_0}]`, [Buffer.from('a'), Buffer.from('b')]],
];

for (const [name, packet, attachments] of BAD_PLACEHOLDERS) {
  test(`Socket.IO: a placeholder packet with ${name} is an 'error', then closes the connection`, async () => {
    const server = await startServer({}, PARLEY);
    let delivered = false;
    const errors: Error[] = [];
    server.io.on('connection', (socket: Socket) => {
      socket.on('m', () => (delivered = true));
      socket.on('error', (err) => errors.push(err));
    });
    const peer = await RawSocketIoPeer.connect(server);
    const reason = disconnectReason(serverSocket(server.io, peer.sid));
    peer.send(packet, ...attachments);
    assert.equal(await reason, 'forced close');
    assert.equal(errors.length, 1);
    await withTimeout(peer.closed, 'the connection to close');
    assert.equal(delivered, false);
  });
}

const BAD_PLAIN: [string, string, Buffer[], string][] = [
  [
    'num "0"',
    '{"event":"m","data":{"_placeholder":true,"num":"0"},"attachments":1}',
    [Buffer.from('a')],
    'missing_attachments',
  ],
  [
    'num 5',
    '{"event":"m","data":{"_placeholder":true,"num":5},"attachments":1}',
    [Buffer.from('a')],
    'missing_attachments',
  ],
  [
    'num -1',
    '{"event":"m","args":[{"_placeholder":true,"num":-1}],"attachments":1}',
    [Buffer.from('a')],
    'missing_attachments',
  ],
  [
    'num 0.5',
    '{"ack":0,"data":{"_placeholder":true,"num":0.5},"attachments":1}',
    [Buffer.from('a')],
    'missing_attachments',
  ],
  ['no binary frames announced', `{"event":"m","data":[${PLACEHOLDER_0}]}`, [], 'missing_attachments'],
  [
    'a binary frame left unused',
    `{"event":"m","data":${PLACEHOLDER_0},"attachments":2}`,
    [Buffer.from('a'), Buffer.from('b')],
    'invalid_envelope',
  ],
];

for (const [name, text, frames, code] of BAD_PLAIN) {
  test(`plain: a placeholder frame with ${name} is refused with ${code}; the connection stays open`, async () => {
    const server = await startServer({}, PARLEY);
    const seen: unknown[][] = [];
    server.io.on('connection', (socket: Socket) => {
      socket.on('m', (...args: unknown[]) => seen.push(args));
      socket.on('next', (value: unknown, ack: (v: unknown) => void) => ack(value));
    });
    const { peer } = await connectPlain(server);
    peer.ws.send(text);
    for (const frame of frames) peer.ws.send(frame);
    const refused = (await peer.nextJson('the error frame')) as { event: string; data: { code: string } };
    assert.deepEqual([refused.event, refused.data.code], ['error', code]);
    peer.sendJson({ event: 'next', data: 'still here', id: 9 });
    assert.deepEqual(await peer.nextJson('the ack'), { ack: 9, data: 'still here' });
    assert.deepEqual(seen, []);
  });
}

test('a 5,000-deep payload from a client reaches the handler intact, over Socket.IO and plain', async () => {
  const server = await startServer({}, PARLEY);
  const depths: number[] = [];
  const both = new Promise<void>((resolve) => {
    server.io.on('connection', (socket: Socket) => {
      socket.on('deep', (value: unknown) => {
        depths.push(arrayDepth(value));
        if (depths.length === 2) resolve();
      });
    });
  });
  const raw = await RawSocketIoPeer.connect(server);
  raw.send(`2["deep",${deepArrayJson(5000)}]`);
  const { peer } = await connectPlain(server);
  peer.ws.send(`{"event":"deep","data":${deepArrayJson(5000)}}`);
  await withTimeout(both, 'both deep events');
  assert.deepEqual(depths, [5000, 5000]);
});
