import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Session } from '../../src/engine/session.js';
import { waitUntil } from '../support/waiting.js';
import { packets } from '../support/raw-clients.js';
import { assertNoSessions } from '../support/sessions.js';
import {
  type Fixture,
  poll,
  pollingHandshake,
  type SessionRecord,
  startEngine,
  wsHandshake,
} from './support.js';

describe('engine bounded send buffer', () => {
  let f: Fixture;
  before(async () => {
    f = await startEngine({ maxBufferedBytes: 100, pingInterval: 5000, pingTimeout: 5000 });
  });
  after(async () => {
    await f.close();
  });

  test('polling: a volatile message is dropped when no GET is held', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    assert.equal(record.session.send('v', { volatile: true }), 'dropped');
    record.session.send('kept');
    assert.deepEqual(packets((await poll(f, open.sid)).body), ['4kept']);
    record.session.close();
    await poll(f, open.sid);
    await assertNoSessions(f);
  });

  test('polling: a volatile message is sent when a GET is held', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const held = poll(f, open.sid);
    await waitUntil(() => (record.session as Session).writable, 'GET held', 3000);
    assert.equal(record.session.send('v', { volatile: true }), 'sent');
    assert.deepEqual(packets((await held).body), ['4v']);
    record.session.close();
    await poll(f, open.sid);
    await assertNoSessions(f);
  });

  test('polling: a volatile message over the bound is dropped, the session lives', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const held = poll(f, open.sid);
    await waitUntil(() => (record.session as Session).writable, 'GET held', 3000);
    assert.equal(record.session.send('x'.repeat(90), { volatile: true }), 'sent');
    assert.equal(record.session.send('y'.repeat(20), { volatile: true }), 'dropped');
    assert.equal(record.session.state, 'open');
    assert.deepEqual(packets((await held).body), [`4${'x'.repeat(90)}`]);
    record.session.close();
    await poll(f, open.sid);
    await assertNoSessions(f);
  });

  test('polling: a non-volatile message over the bound closes with send buffer full', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    assert.equal(record.session.send('x'.repeat(60)), 'sent');
    assert.equal(record.session.send(['y'.repeat(30), Buffer.alloc(20)]), 'closed');
    assert.equal(record.session.state, 'closed');
    assert.equal((await record.closed).reason, 'send buffer full');
    assert.equal(record.session.send('z'), 'closed');
    await assertNoSessions(f);
  });

  /**
   * A websocket session whose client stops reading (so the socket backs up), with a 1 MB bound;
   * `body` drives it to the bound and awaits its close. Closes the engine, checks no session is left.
   */
  async function withStalledClient(
    body: (session: Session, record: SessionRecord) => Promise<void>,
  ): Promise<void> {
    const g = await startEngine({ maxBufferedBytes: 1_000_000, pingInterval: 5000, pingTimeout: 5000 });
    try {
      const { client, open } = await wsHandshake(g);
      const record = await g.session(open.sid);
      // Stop reading so the kernel buffers fill and ws.bufferedAmount grows.
      client.ws.pause();
      await body(record.session as Session, record);
      client.terminate();
    } finally {
      await g.close();
    }
    await assertNoSessions(g);
  }

  test('websocket: the bound counts what the socket has not sent yet', async () => {
    await withStalledClient(async (session, record) => {
      const chunk = Buffer.alloc(100_000);
      for (let i = 0; i < 2000 && session.bufferedAmount + chunk.length <= 1_000_000; i++) {
        assert.equal(session.send(chunk), 'sent');
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(session.bufferedAmount + chunk.length > 1_000_000, 'the socket backed up');
      assert.equal(session.send(chunk, { volatile: true }), 'dropped');
      assert.equal(session.state, 'open');
      assert.equal(session.send(chunk), 'closed');
      assert.equal((await record.closed).reason, 'send buffer full');
    });
  });

  test('websocket: coalesced sends (broadcasts) are held to the same bound, backlog included', async () => {
    await withStalledClient(async (session, record) => {
      const chunk = Buffer.alloc(50_000);
      let sent = 0;
      // Several coalesced sends per turn, then the turn's flush moves them to the socket.
      while (sent < 400 && session.bufferedAmount + 3 * chunk.length <= 1_000_000) {
        for (let i = 0; i < 3; i++) assert.equal(session.send(chunk, { coalesce: true }), 'sent');
        sent += 3;
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(session.bufferedAmount + 3 * chunk.length > 1_000_000, 'the socket backed up');
      let result = session.send(chunk, { coalesce: true });
      for (let i = 0; i < 3 && result === 'sent'; i++) result = session.send(chunk, { coalesce: true });
      assert.equal(result, 'closed');
      assert.equal(session.state, 'closed');
      assert.equal((await record.closed).reason, 'send buffer full');
    });
  });
});
