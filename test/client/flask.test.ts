/**
 * parley's client against the real Flask-SocketIO server of test/fixtures/flask_chat.py (path
 * /ws/chat/): eventlet mode over each transport setup, threading mode (polling only), auth, acks,
 * the room broadcast, a refusal's connect_error with data, and the server going away.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import type { ConnectError } from '../../src/client/index.js';
import { FLASK_INSTALL, type FlaskServer, flaskAvailable, startFlask } from '../support/flask.js';
import { requirePeer } from '../support/requirements.js';
import { waitFor } from '../support/waiting.js';
import { client, closeClientSockets, connected, forEachSetup } from './support.js';

let eventlet: FlaskServer | undefined;
let refusing: FlaskServer | undefined;

before(async () => {
  if (!flaskAvailable) return;
  [eventlet, refusing] = await Promise.all([startFlask(), startFlask({ requireAuth: true })]);
});
after(async () => {
  await eventlet?.stop();
  await refusing?.stop();
});
afterEach(closeClientSockets);

interface Message {
  id: number;
  room: string;
  from: string;
  type: string;
  content: string;
}

forEachSetup((setup) => {
  test('Flask (eventlet): auth names the sender, the ack and the room broadcast come back', async (t) => {
    if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL)) return;
    const server = eventlet!;
    const socket = await connected(
      client(server.url, { ...setup.opts, path: server.path, auth: { name: 'ada' } }),
      setup,
    );
    const broadcast = waitFor<Message>(socket, 'message');
    const ack = (await socket.emitWithAck('message', { type: 'text', content: 'hi' })) as {
      ok: boolean;
      id: number;
    };
    assert.equal(ack.ok, true);
    const message = await broadcast;
    assert.deepEqual(message, { id: ack.id, room: 'lobby', from: 'ada', type: 'text', content: 'hi' });
    assert.deepEqual(await socket.emitWithAck('join', { room: 'r2' }), { ok: true, room: 'r2' });
    assert.equal(socket.io.protocol, 4);
  });

  test('Flask (eventlet): a refused connect is a connect_error with message and data', async (t) => {
    if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL)) return;
    const server = refusing!;
    const socket = client(server.url, { ...setup.opts, path: server.path });
    const err = await waitFor<ConnectError>(socket, 'connect_error');
    assert.equal(err.reason, 'refused');
    assert.equal(err.message, 'authentication required');
    assert.deepEqual(err.data, { hint: 'send auth.token' });
    const ok = client(server.url, { ...setup.opts, path: server.path, auth: { token: 'x' } });
    await connected(ok, setup);
  });
});

test('Flask (threading, polling only): connect, ack and broadcast over polling', async (t) => {
  if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL)) return;
  const server = await startFlask({ mode: 'threading' });
  try {
    const socket = await connected(client(server.url, { path: server.path, query: { name: 'bob' } }));
    const broadcast = waitFor<Message>(socket, 'message');
    const ack = (await socket.emitWithAck('message', { type: 'text', content: 'yo' })) as { ok: boolean };
    assert.equal(ack.ok, true);
    assert.equal((await broadcast).from, 'bob');
    assert.equal(socket.io.engine?.transport?.name, 'polling');
  } finally {
    closeClientSockets();
    await server.stop();
  }
});

for (const transports of [['polling'], ['websocket']] as const) {
  test(`Flask (eventlet) killed: the ${transports[0]} client disconnects and starts reconnecting`, async (t) => {
    if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL)) return;
    const server = await startFlask();
    const socket = await connected(client(server.url, { path: server.path, transports: [...transports] }));
    const disconnected = waitFor<string>(socket, 'disconnect');
    const attempt = waitFor<number>(socket.io, 'reconnect_attempt');
    await server.stop();
    assert.ok(['transport close', 'transport error'].includes(await disconnected));
    assert.equal(await attempt, 1);
  });
}
