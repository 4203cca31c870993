import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Session } from '../../src/engine/session.js';
import { waitUntil } from '../support/waiting.js';
import { packets } from '../support/raw-clients.js';
import { assertNoSessions } from '../support/sessions.js';
import { type Fixture, poll, pollingHandshake, post, startEngine, wsHandshake } from './support.js';

describe('engine close', () => {
  let f: Fixture;
  before(async () => {
    f = await startEngine({ pingInterval: 5000, pingTimeout: 300 });
  });
  after(async () => {
    await f.close();
  });

  test('polling: a close packet from the client closes with transport close', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const held = poll(f, open.sid);
    assert.equal((await post(f, open.sid, '4last\x1e1\x1e4ignored')).body, 'ok');
    assert.equal((await record.closed).reason, 'transport close');
    assert.deepEqual(record.messages, ['last']);
    assert.equal((await held).status, 200);
    assert.equal(record.closeCount, 1);
    await assertNoSessions(f);
  });

  test('websocket: a close packet from the client closes with transport close', async () => {
    const { client, open } = await wsHandshake(f);
    const record = await f.session(open.sid);
    client.send('1');
    assert.equal((await record.closed).reason, 'transport close');
    await client.closed;
    await assertNoSessions(f);
  });

  test('polling: close() flushes buffered messages, then the close packet in the next response', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    record.session.send('a');
    record.session.send('b');
    record.session.close();
    assert.equal(record.session.state, 'closing');
    assert.equal(record.session.send('c'), 'closed');
    // As engine.io: the client handles the last messages before it sees the close packet, which
    // comes behind a noop in the GET that follows.
    assert.deepEqual(packets((await poll(f, open.sid)).body), ['4a', '4b']);
    assert.deepEqual(packets((await poll(f, open.sid)).body), ['6', '1']);
    assert.equal((await record.closed).reason, 'forced close');
    await assertNoSessions(f);
  });

  test('polling: close() with a GET held and nothing buffered answers it with the close packet', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const held = poll(f, open.sid);
    await waitUntil(() => (record.session as Session).writable, 'GET held');
    record.session.close();
    assert.deepEqual(packets((await held).body), ['1']);
    assert.equal((await record.closed).reason, 'forced close');
    assert.equal((await poll(f, open.sid)).status, 400);
    await assertNoSessions(f);
  });

  test('polling: close() right after a send to a held GET: the next GET gets noop and close', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const held = poll(f, open.sid);
    await waitUntil(() => (record.session as Session).writable, 'GET held');
    record.session.send('x');
    record.session.close();
    assert.deepEqual(packets((await held).body), ['4x']);
    assert.deepEqual(packets((await poll(f, open.sid)).body), ['6', '1']);
    assert.equal((await record.closed).reason, 'forced close');
    await assertNoSessions(f);
  });

  test('polling: close() without a GET coming gives up after pingTimeout', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    record.session.close();
    assert.equal((await record.closed).reason, 'forced close');
    await assertNoSessions(f);
  });

  test('websocket: close() flushes buffered messages, then the close packet and frame', async () => {
    const { client, open } = await wsHandshake(f);
    const record = await f.session(open.sid);
    record.session.send('a');
    record.session.send(Buffer.from([1]));
    record.session.close();
    record.session.close();
    assert.equal(await client.next(), '4a');
    assert.deepEqual(await client.next(), Buffer.from([1]));
    assert.equal(await client.next(), '1');
    assert.equal((await client.closed).code, 1005);
    assert.equal((await record.closed).reason, 'forced close');
    assert.equal(record.closeCount, 1);
    await assertNoSessions(f);
  });

  test('server close() closes every session with server shutting down and refuses new ones', async () => {
    const g = await startEngine();
    try {
      const ws = await wsHandshake(g);
      const polling = await pollingHandshake(g);
      const held = poll(g, polling.open.sid);
      const wsRecord = await g.session(ws.open.sid);
      const pollRecord = await g.session(polling.open.sid);
      await waitUntil(() => (pollRecord.session as Session).writable, 'GET held');
      wsRecord.session.send('bye');
      await g.engine.close();
      assert.equal((await wsRecord.closed).reason, 'server shutting down');
      assert.equal((await pollRecord.closed).reason, 'server shutting down');
      assert.equal(await ws.client.next(), '4bye');
      assert.equal(await ws.client.next(), '1');
      assert.deepEqual(packets((await held).body), ['1']);
      await ws.client.closed;
      assert.equal(g.engine.clientsCount, 0);
      const refused = await poll(g, 'anything');
      assert.equal(refused.status, 400);
    } finally {
      await g.close();
    }
    await assertNoSessions(g);
  });
});
