/**
 * The gateway in front of a real Flask-SocketIO server (the seed's chat, path /ws/chat/): the seed's
 * exact plain snippet reaches Flask's `message` handler, Flask's room broadcast comes back to the
 * plain client, its ack comes back as `{"ack":N,...}`, and `join` moves the client between rooms.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { FLASK_INSTALL, type FlaskServer, flaskAvailable, startFlask } from '../support/flask.js';
import { requirePeer } from '../support/requirements.js';
import { cleanup } from '../support/servers.js';
import { closeGateways, nextAck, nextEvent, plainClient, startTestGateway } from './support.js';

let flask: FlaskServer | undefined;

before(async () => {
  if (flaskAvailable) flask = await startFlask();
});
after(async () => {
  await flask?.stop();
});
afterEach(async () => {
  await closeGateways();
  await cleanup();
});

describe('gateway in front of Flask-SocketIO', () => {
  test("the seed's snippet reaches Flask's message handler; the broadcast comes back", async (t) => {
    if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL) || !flask) return;
    const gateway = await startTestGateway(flask.url, { path: flask.path });
    const alice = await plainClient(gateway, { name: 'alice' });
    const ws = alice.ws;
    // The seed's exact line.
    ws.send(JSON.stringify({ type: 'text', content: 'Hello' }));
    const broadcast = await nextEvent(alice, 'message');
    assert.deepEqual(broadcast.event, 'message');
    const data = broadcast.data as Record<string, unknown>;
    assert.equal(data.from, 'alice');
    assert.equal(data.content, 'Hello');
    assert.equal(data.room, 'lobby');
  });

  test('an ack comes back as {"ack":N,...}; join moves the client; a room broadcast reaches only that room', async (t) => {
    if (!requirePeer(t, 'Flask-SocketIO', flaskAvailable, FLASK_INSTALL) || !flask) return;
    const gateway = await startTestGateway(flask.url, { path: flask.path, authFromQuery: ['name'] });
    const alice = await plainClient(gateway, { name: 'alice' });
    const bob = await plainClient(gateway, { name: 'bob' });
    alice.sendJson({ event: 'join', data: { room: 'dev' }, id: 1 });
    assert.deepEqual(await nextAck(alice, 1), { ack: 1, data: { ok: true, room: 'dev' } });
    bob.sendJson({ event: 'join', data: 'dev', id: 1 });
    assert.deepEqual(await nextAck(bob, 1), { ack: 1, data: { ok: true, room: 'dev' } });

    alice.sendJson({ event: 'message', data: { type: 'text', content: 'in dev', room: 'dev' }, id: 2 });
    const ack = await nextAck(alice, 2);
    assert.equal((ack.data as { ok: boolean }).ok, true);
    assert.equal(typeof (ack.data as { id: unknown }).id, 'number');
    for (const client of [alice, bob]) {
      const message = await nextEvent(client, 'message');
      assert.deepEqual(
        { ...(message.data as object), id: 0 },
        { id: 0, room: 'dev', from: 'alice', type: 'text', content: 'in dev' },
      );
    }
    // Flask's own validation answers through the same ack path.
    bob.sendJson({ event: 'message', data: { type: 'image' }, id: 2 });
    const refused = await nextAck(bob, 2);
    assert.equal((refused.data as { ok: boolean }).ok, false);
  });
});
