import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OutboundMessage } from '../../src/engine/message.js';
import { packets } from '../support/raw-clients.js';
import { assertNoSessions } from '../support/sessions.js';
import { type Fixture, poll, pollingHandshake, post, startEngine, wsHandshake } from './support.js';

describe('engine messages', () => {
  let f: Fixture;
  before(async () => {
    f = await startEngine({ pingInterval: 5000, pingTimeout: 5000 });
  });
  after(async () => {
    await f.close();
  });

  test('polling: a POST of text and binary answers ok and delivers both in order', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const answer = await post(f, open.sid, '4hello\x1ebAQIDBA==\x1e4é€');
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'ok');
    assert.equal(answer.headers['content-type'], 'text/html');
    const got = await record.waitMessages(3);
    assert.deepEqual(got, ['hello', Buffer.from([1, 2, 3, 4]), 'é€']);
    record.session.close();
    await poll(f, open.sid);
    await assertNoSessions(f);
  });

  test('polling: server text and binary messages arrive in one GET, binary as b<base64>', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    assert.equal(record.session.send('one'), 'sent');
    assert.equal(record.session.send(Buffer.from([1, 2, 3, 4])), 'sent');
    assert.equal(record.session.send([new OutboundMessage('two'), 'three']), 'sent');
    const answer = await poll(f, open.sid);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/plain; charset=UTF-8');
    assert.deepEqual(packets(answer.body), ['4one', 'bAQIDBA==', '4two', '4three']);
    record.session.close();
    assert.deepEqual(packets((await poll(f, open.sid)).body), ['6', '1']);
    assert.equal((await record.closed).reason, 'forced close');
    await assertNoSessions(f);
  });

  test('polling: a GET waits until a message is sent', async () => {
    const { open } = await pollingHandshake(f);
    const record = await f.session(open.sid);
    const pending = poll(f, open.sid);
    // Send only once the GET is held by the server.
    const sent = new Promise<void>((resolve) => {
      const check = (): void => {
        if (record.session.send('late', { volatile: true }) === 'sent') resolve();
        else setImmediate(check);
      };
      check();
    });
    await sent;
    assert.deepEqual(packets((await pending).body), ['4late']);
    record.session.close();
    await poll(f, open.sid);
    await assertNoSessions(f);
  });

  test('websocket: text and binary both ways, binary as raw binary frames', async () => {
    const { client, open } = await wsHandshake(f);
    const record = await f.session(open.sid);
    client.send('4hello');
    client.send(Buffer.from([5, 6, 7]));
    assert.deepEqual(await record.waitMessages(2), ['hello', Buffer.from([5, 6, 7])]);
    record.session.send('text');
    record.session.send(Buffer.from([8, 9]));
    assert.equal(await client.next(), '4text');
    assert.deepEqual(await client.next(), Buffer.from([8, 9]));
    record.session.close();
    assert.equal(await client.next(), '1');
    await client.closed;
    assert.equal((await record.closed).reason, 'forced close');
    await assertNoSessions(f);
  });

  test('one OutboundMessage is delivered to many sessions on both transports', async () => {
    const a = await pollingHandshake(f);
    const b = await wsHandshake(f);
    const ra = await f.session(a.open.sid);
    const rb = await f.session(b.open.sid);
    const shared = new OutboundMessage(Buffer.from('hi'));
    ra.session.send(shared);
    rb.session.send(shared);
    assert.deepEqual(packets((await poll(f, a.open.sid)).body), [`b${Buffer.from('hi').toString('base64')}`]);
    assert.deepEqual(await b.client.next(), Buffer.from('hi'));
    ra.session.close();
    rb.session.close();
    await poll(f, a.open.sid);
    await b.client.closed;
    await assertNoSessions(f);
  });

  test('send after close returns closed', async () => {
    const { client, open } = await wsHandshake(f);
    const record = await f.session(open.sid);
    record.session.close();
    assert.equal(record.session.send('x'), 'closed');
    assert.equal(record.session.state, 'closed');
    await client.closed;
    await assertNoSessions(f);
  });
});
