import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Session } from '../../src/engine/session.js';
import { waitUntil } from '../support/waiting.js';
import { http } from '../support/raw-clients.js';
import { assertNoSessions } from '../support/sessions.js';
import { type Fixture, poll, pollingHandshake, post, q, startEngine } from './support.js';

describe('engine polling misuse', () => {
  let f: Fixture;
  before(async () => {
    f = await startEngine({ maxPayload: 100, pingInterval: 5000, pingTimeout: 5000 });
  });
  after(async () => {
    await f.close();
  });

  test('a second concurrent GET answers 400 and closes the session with transport error', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const held = poll(f, open.sid);
    await waitUntil(() => (record.session as Session).writable, 'GET held', 3000);
    const second = await poll(f, open.sid);
    assert.equal(second.status, 400);
    assert.deepEqual(JSON.parse(second.body), { code: 3, message: 'Bad request' });
    assert.equal((await record.closed).reason, 'transport error');
    const released = await held;
    assert.equal(released.status, 200);
    await assertNoSessions(f);
  });

  test('a POST over maxPayload answers 413, delivers nothing, and the session ends with the client close', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const answer = await post(f, open.sid, `4${'x'.repeat(200)}`);
    assert.equal(answer.status, 413);
    assert.equal(record.messages.length, 0);
    // As engine.io: the refused client sends a close packet, which ends the session.
    assert.equal((await post(f, open.sid, '1')).status, 200);
    assert.equal((await record.closed).reason, 'transport close');
    await assertNoSessions(f);
  });

  test('a chunked POST growing over maxPayload answers 413', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const answer = await http(f.base + q('polling', open.sid), {
      method: 'POST',
      headers: { 'Transfer-Encoding': 'chunked' },
      body: `4${'y'.repeat(300)}`,
    });
    assert.equal(answer.status, 413);
    assert.equal((await post(f, open.sid, '1')).status, 200);
    assert.equal((await record.closed).reason, 'transport close');
    await assertNoSessions(f);
  });

  for (const [name, body] of [
    ['an unknown packet type', '9nope'],
    ['bad base64', 'b%%%'],
    ['an empty packet between separators', '4a\x1e\x1e4b'],
    ['an empty body', ''],
  ] as const) {
    test(`a POST with ${name} answers 400 and closes the session with parse error`, async () => {
      const { open } = await pollingHandshake(f);
      const record = await f.session(open.sid);
      const answer = await post(f, open.sid, body);
      assert.equal(answer.status, 400);
      assert.equal((await record.closed).reason, 'parse error');
      assert.equal(record.messages.length, 0);
      await assertNoSessions(f);
    });
  }

  test('random binary garbage in a POST does not crash the server', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const answer = await post(f, open.sid, Buffer.from([0xff, 0xfe, 0x00, 0x1e, 0x80]));
    assert.equal(answer.status, 400);
    assert.equal((await record.closed).reason, 'parse error');
    const next = await pollingHandshake(f);
    (await f.session(next.open.sid)).session.close();
    await poll(f, next.open.sid);
    await assertNoSessions(f);
  });

  test('a GET abandoned by the client is forgotten and the session lives on', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const controller = new AbortController();
    const abandoned = fetch(f.base + q('polling', open.sid), { signal: controller.signal }).catch(
      () => 'aborted',
    );
    const writable = () => (record.session as Session).writable;
    await waitUntil(writable, 'GET held', 3000);
    controller.abort();
    assert.equal(await abandoned, 'aborted');
    await waitUntil(() => !writable(), 'GET forgotten', 3000);
    assert.equal(record.session.state, 'open');
    record.session.send('after');
    assert.deepEqual((await poll(f, open.sid)).body, '4after');
    record.session.close();
    await poll(f, open.sid);
    await assertNoSessions(f);
  });
});
