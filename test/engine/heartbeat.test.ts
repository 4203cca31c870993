import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CLOSE_GRACE_MS } from '../../src/engine/transports/websocket.js';
import { packets } from '../support/raw-clients.js';
import { assertNoSessions } from '../support/sessions.js';
import { withTimeout } from '../support/waiting.js';
import { type Fixture, poll, pollingHandshake, post, startEngine, wsHandshake } from './support.js';

describe('engine heartbeat', () => {
  let f: Fixture;
  before(async () => {
    f = await startEngine({ pingInterval: 150, pingTimeout: 150 });
  });
  after(async () => {
    await f.close();
  });

  test('websocket: the server pings every pingInterval and a pong keeps the session', async () => {
    const { client, open } = await wsHandshake(f);
    const record = await f.session(open.sid);
    // Timed from the first ping: the heartbeat starts with the session, before this test's own
    // setup is done, so the first ping may come at any time up to pingInterval from here.
    assert.equal(await client.next(), '2');
    const first = Date.now();
    client.send('3');
    for (let i = 0; i < 2; i++) {
      assert.equal(await client.next(), '2');
      client.send('3');
    }
    // Each next ping is due pingInterval after the server got the pong, which it got after this
    // client saw the ping: no interval here can be shorter than pingInterval (2 ms of clock slack).
    const elapsed = Date.now() - first;
    assert.ok(elapsed >= 2 * 150 - 2, `two ping intervals took ${elapsed}ms`);
    assert.equal(record.session.state, 'open');
    client.terminate();
    assert.equal((await record.closed).reason, 'transport close');
    await assertNoSessions(f);
  });

  test('websocket: no pong within pingTimeout closes with ping timeout', async () => {
    // Lower bound from before the session exists: its ping leaves pingInterval after it opens, the
    // timeout pingTimeout after that. (Timing from when this client saw the ping would race: under
    // load the client may see it late.)
    const beforeOpen = Date.now();
    const { client, open } = await wsHandshake(f);
    const record = await f.session(open.sid);
    assert.equal(await client.next(), '2');
    const pinged = Date.now();
    assert.equal((await record.closed).reason, 'ping timeout');
    const closed = Date.now();
    assert.ok(closed - beforeOpen >= 150 + 150 - 2, `closed ${closed - beforeOpen}ms after the handshake began`);
    assert.ok(closed - pinged < 1000, `closed ${closed - pinged}ms after the ping`);
    // As on engine.io: a close frame without a code (1005), not a cut connection (1006), and no
    // Engine.IO close packet before it.
    assert.equal((await client.closed).code, 1005);
    assert.deepEqual(client.queued, []);
    await assertNoSessions(f);
  });

  test('websocket: a peer that answers neither the ping nor the close frame is cut after a grace', async () => {
    const socket = connect(f.port, '127.0.0.1');
    let bytes = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
    });
    const ended = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    socket.write(
      `GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const record = await f.session();
    assert.equal((await record.closed).reason, 'ping timeout');
    const closedAt = Date.now();
    // ws alone would hold the socket 30 s for the closing handshake.
    const endedAt = await withTimeout(ended, 'the server cutting the connection', CLOSE_GRACE_MS + 3000);
    assert.ok(endedAt - closedAt >= CLOSE_GRACE_MS - 100, `cut ${endedAt - closedAt} ms after the close frame`);
    const frames = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4);
    // The open packet, the ping, then an empty close frame, and nothing else.
    const open = frames[1]!;
    assert.equal(frames[0], 0x81);
    assert.deepEqual([...frames.subarray(2 + open)], [0x81, 0x01, 0x32, 0x88, 0x00]);
    await assertNoSessions(f);
  });

  test('polling: the ping arrives in a GET and a POSTed pong keeps the session', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(packets((await poll(f, open.sid)).body), ['2']);
      assert.equal((await post(f, open.sid, '3')).body, 'ok');
    }
    assert.equal(record.session.state, 'open');
    const pending = poll(f, open.sid);
    // Never answer the third ping.
    assert.deepEqual(packets((await pending).body), ['2']);
    assert.equal((await record.closed).reason, 'ping timeout');
    await assertNoSessions(f);
  });

  test('polling: a GET pending when the ping times out is released', async (t) => {
    // A fixture of its own, with a pingTimeout long enough that the next GET, sent as soon as the
    // ping is read, is held before the timeout even on a loaded machine (with the shared 150 ms, it
    // once came after the session had closed, and got 400).
    const own = await startEngine({ pingInterval: 150, pingTimeout: 1000 });
    t.after(() => own.close());
    const { open } = await pollingHandshake(own);
    const record = await own.session(open.sid);
    assert.deepEqual(packets((await poll(own, open.sid)).body), ['2']);
    const held = poll(own, open.sid);
    assert.equal((await record.closed).reason, 'ping timeout');
    assert.equal((await held).status, 200);
    await assertNoSessions(own);
  });
});
