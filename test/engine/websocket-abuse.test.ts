import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertNoSessions } from '../support/sessions.js';
import { type Fixture, startEngine, wsHandshake } from './support.js';

describe('engine websocket misuse', () => {
  let f: Fixture;
  before(async () => {
    f = await startEngine({ maxPayload: 100, pingInterval: 5000, pingTimeout: 5000 });
  });
  after(async () => {
    await f.close();
  });

  for (const [name, frame] of [
    ['an unknown packet type', '9hello'],
    ['an empty text frame', ''],
    ['a letter instead of a type', 'hello'],
  ] as const) {
    test(`a frame with ${name} closes the session with parse error`, async () => {
      const { client, open } = await wsHandshake(f);
      const record = await f.session(open.sid);
      client.send(frame);
      assert.equal((await record.closed).reason, 'parse error');
      await client.closed;
      await assertNoSessions(f);
    });
  }

  test('a frame over maxPayload closes the session with transport error', async () => {
    const { client, open } = await wsHandshake(f);
    const record = await f.session(open.sid);
    client.send(`4${'z'.repeat(500)}`);
    assert.equal((await record.closed).reason, 'transport error');
    assert.equal((await client.closed).code, 1009);
    assert.equal(record.messages.length, 0);
    await assertNoSessions(f);
  });

  test('a binary frame over maxPayload closes the session with transport error', async () => {
    const { client, open } = await wsHandshake(f);
    const record = await f.session(open.sid);
    client.send(Buffer.alloc(101));
    assert.equal((await record.closed).reason, 'transport error');
    await client.closed;
    await assertNoSessions(f);
  });

  test('client packets that mean nothing on an open session are ignored', async () => {
    const { client, open } = await wsHandshake(f);
    const record = await f.session(open.sid);
    for (const frame of ['6', '5', '2', '0{}', '3']) client.send(frame);
    client.send('4still here');
    assert.deepEqual(await record.waitMessages(1), ['still here']);
    assert.equal(record.session.state, 'open');
    client.terminate();
    assert.equal((await record.closed).reason, 'transport close');
    await assertNoSessions(f);
  });
});
