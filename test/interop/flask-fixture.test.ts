/** The Flask-SocketIO fixture itself, driven by the official socket.io-client: it is the seed's server. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeClient, whenConnected } from '../support/clients.js';
import { FLASK_INSTALL, flaskAvailable, startFlask } from '../support/flask.js';
import { requirePeer } from '../support/requirements.js';

describe('the Flask-SocketIO fixture (the seed server)', () => {
  for (const mode of ['eventlet', 'threading'] as const) {
    test(`${mode}: message is broadcast with an ack, join answers`, async (t) => {
      if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL)) return;
      const flask = await startFlask({ mode });
      try {
        const transports = mode === 'eventlet' ? ['polling', 'websocket'] : ['polling'];
        const client = makeClient(flask.url, { path: flask.path, auth: { name: 'alice' }, transports });
        await whenConnected(client);
        const heard = new Promise((resolve) => client.once('message', resolve));
        const ack = await client.timeout(5000).emitWithAck('message', { type: 'text', content: 'Hello' });
        assert.deepEqual(ack, { ok: true, id: 1 });
        assert.deepEqual(await heard, { id: 1, room: 'lobby', from: 'alice', type: 'text', content: 'Hello' });
        assert.deepEqual(await client.timeout(5000).emitWithAck('join', { room: 'dev' }), { ok: true, room: 'dev' });
        client.disconnect();
      } finally {
        await flask.stop();
      }
    });
  }

  test('with --require-auth a connect without a token gets connect_error with its data', async (t) => {
    if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL)) return;
    const flask = await startFlask({ requireAuth: true });
    try {
      const client = makeClient(flask.url, { path: flask.path, transports: ['websocket'] });
      const err = (await whenConnected(client).then(
        () => assert.fail('connected'),
        (e: unknown) => e,
      )) as Error & { data?: unknown };
      assert.equal(err.message, 'authentication required');
      assert.deepEqual(err.data, { hint: 'send auth.token' });
    } finally {
      await flask.stop();
    }
  });
});
