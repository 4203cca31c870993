import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Session } from '../../src/engine/session.js';
import { waitUntil } from '../support/waiting.js';
import { packets, WsClient } from '../support/raw-clients.js';
import { assertNoSessions } from '../support/sessions.js';
import { type Fixture, poll, pollingHandshake, post, q, startEngine, wsUrl } from './support.js';

describe('engine upgrade', () => {
  let f: Fixture;
  before(async () => {
    f = await startEngine({ pingInterval: 5000, pingTimeout: 5000, upgradeTimeout: 300 });
  });
  after(async () => {
    await f.close();
  });

  test('2probe/3probe/noop/5 switches to websocket with no message lost or duplicated', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const received: string[] = [];
    let sent = 0;
    const stream = setInterval(() => {
      for (let i = 0; i < 3; i++) record.session.send(`m${sent++}`);
    }, 1);
    // The client polls until a noop tells it polling is over.
    const polling = (async () => {
      for (;;) {
        const answer = await poll(f, open.sid);
        assert.equal(answer.status, 200);
        for (const p of packets(answer.body)) {
          if (p === '6') return;
          assert.equal(p[0], '4');
          received.push(p.slice(1));
        }
      }
    })();
    await waitUntil(() => received.length > 10, 'messages over polling', 3000);
    const ws = new WsClient(wsUrl(f, q('websocket', open.sid)));
    await ws.opened;
    ws.send('2probe');
    assert.equal(await ws.next(), '3probe');
    await polling;
    const viaPolling = received.length;
    ws.send('5');
    await waitUntil(() => record.session.transport === 'websocket', 'transport switch', 3000);
    ws.send('4from client');
    await waitUntil(() => received.length + ws.received > viaPolling + 30, 'messages over websocket', 3000);
    clearInterval(stream);
    const total = sent;
    while (received.length < total) {
      const frame = await ws.next();
      assert.equal(typeof frame, 'string');
      assert.equal((frame as string)[0], '4');
      received.push((frame as string).slice(1));
    }
    assert.deepEqual(
      received,
      Array.from({ length: total }, (_, i) => `m${i}`),
    );
    assert.ok(viaPolling > 0 && viaPolling < total, 'both transports carried messages');
    assert.deepEqual(await record.waitMessages(1), ['from client']);
    ws.terminate();
    assert.equal((await record.closed).reason, 'transport close');
    await assertNoSessions(f);
  });

  test('polling requests after the upgrade are refused without closing the session', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const ws = new WsClient(wsUrl(f, q('websocket', open.sid)));
    await ws.opened;
    ws.send('2probe');
    assert.equal(await ws.next(), '3probe');
    ws.send('5');
    await waitUntil(() => record.session.transport === 'websocket', 'transport switch', 3000);
    for (const answer of [await poll(f, open.sid), await post(f, open.sid, '4late')]) {
      assert.equal(answer.status, 400);
      assert.deepEqual(JSON.parse(answer.body), { code: 3, message: 'Bad request' });
    }
    assert.equal(record.session.state, 'open');
    assert.equal(record.messages.length, 0);
    record.session.send('still');
    assert.equal(await ws.next(), '4still');
    record.session.close();
    assert.equal(await ws.next(), '1');
    await ws.closed;
    await assertNoSessions(f);
  });

  test('a pending GET receives a noop when the probe arrives', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const held = poll(f, open.sid);
    await waitUntil(() => (record.session as Session).writable, 'GET held', 3000);
    const ws = new WsClient(wsUrl(f, q('websocket', open.sid)));
    await ws.opened;
    ws.send('2probe');
    assert.equal(await ws.next(), '3probe');
    assert.equal((await held).body, '6');
    // Mid-upgrade: messages wait for the new transport; a volatile one is dropped.
    assert.equal(record.session.send('queued'), 'sent');
    assert.equal(record.session.send('gone', { volatile: true }), 'dropped');
    ws.send('5');
    assert.equal(await ws.next(), '4queued');
    ws.terminate();
    await record.closed;
    await assertNoSessions(f);
  });

  test('without 5 within upgradeTimeout the probe is destroyed and polling goes on', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const ws = new WsClient(wsUrl(f, q('websocket', open.sid)));
    await ws.opened;
    ws.send('2probe');
    assert.equal(await ws.next(), '3probe');
    assert.equal((await poll(f, open.sid)).body, '6');
    record.session.send('kept');
    await ws.closed;
    assert.equal(record.session.transport, 'polling');
    assert.equal(record.session.state, 'open');
    assert.deepEqual(packets((await poll(f, open.sid)).body), ['4kept']);
    record.session.close();
    await poll(f, open.sid);
    await assertNoSessions(f);
  });

  test('a probe closed by the client leaves the session on polling', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const ws = new WsClient(wsUrl(f, q('websocket', open.sid)));
    await ws.opened;
    ws.send('2probe');
    assert.equal(await ws.next(), '3probe');
    ws.terminate();
    await waitUntil(() => record.session.transport === 'polling' && (record.session as Session).upgradable, 'the upgrade to be possible');
    record.session.send('after');
    assert.deepEqual(packets((await poll(f, open.sid)).body), ['4after']);
    record.session.close();
    await poll(f, open.sid);
    await assertNoSessions(f);
  });

  test('an unexpected packet on the probe closes the probe only', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const ws = new WsClient(wsUrl(f, q('websocket', open.sid)));
    await ws.opened;
    ws.send('4not yet');
    await ws.closed;
    assert.equal(record.session.state, 'open');
    assert.equal(record.messages.length, 0);
    record.session.close();
    await poll(f, open.sid);
    await assertNoSessions(f);
  });

  test('a second probe while one is in progress is opened, then closed at once; the first stays', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const first = new WsClient(wsUrl(f, q('websocket', open.sid)));
    await first.opened;
    const second = new WsClient(wsUrl(f, q('websocket', open.sid)));
    await second.opened;
    assert.equal((await second.closed).code, 1005, 'a close frame without a status, as engine.io sends');
    assert.equal(record.session.state, 'open');
    first.send('2probe');
    assert.equal(await first.next(), '3probe');
    first.terminate();
    record.session.close();
    await poll(f, open.sid);
    await assertNoSessions(f);
  });

  test('with allowUpgrades off a probe is closed after its handshake and polling goes on', async () => {
    const g = await startEngine({ allowUpgrades: false });
    try {
      const { open } = await pollingHandshake(g);
      const record = await g.session(open.sid);
      const ws = new WsClient(wsUrl(g, q('websocket', open.sid)));
      await ws.opened;
      await ws.closed;
      assert.equal(record.session.transport, 'polling');
      record.session.send('still polling');
      assert.deepEqual(packets((await poll(g, open.sid)).body), ['4still polling']);
      record.session.close();
      await poll(g, open.sid);
    } finally {
      await g.close();
    }
    await assertNoSessions(g);
  });
});
