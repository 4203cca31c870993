import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Socket } from 'engine.io-client';
import { deferred, waitUntil } from '../support/waiting.js';
import { assertNoSessions } from '../support/sessions.js';
import { type Fixture, startEngine } from './support.js';

type Received = string | Buffer | ArrayBuffer;

function toBuffer(data: Received): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : Buffer.from(data as ArrayBuffer);
}

/** Opens an official engine.io-client socket and collects what it receives. */
function connect(f: Fixture, transports: ('polling' | 'websocket')[], upgrade = true) {
  const socket = new Socket(`http://127.0.0.1:${f.port}`, { transports, upgrade });
  const messages: Received[] = [];
  const waiters: (() => void)[] = [];
  const opened = deferred<void>();
  const closed = deferred<string>();
  socket.on('open', () => opened.resolve());
  socket.on('message', (data: Received) => {
    messages.push(data);
    for (const w of waiters.splice(0)) w();
  });
  socket.on('close', (reason: string) => closed.resolve(reason));
  return {
    socket,
    messages,
    opened: opened.promise,
    closed: closed.promise,
    async waitMessages(n: number): Promise<Received[]> {
      while (messages.length < n) await new Promise<void>((r) => waiters.push(r));
      return messages.slice(0, n);
    },
  };
}

describe('engine interop with the official engine.io-client', () => {
  let f: Fixture;
  before(async () => {
    f = await startEngine({ pingInterval: 200, pingTimeout: 200 }, (session) => ({
      onMessage: (data) => session.send(data),
    }));
  });
  after(async () => {
    await f.close();
  });

  for (const transports of [['polling'], ['websocket']] as const) {
    test(`${transports[0]} only: text and binary echo, then close`, async () => {
      const client = connect(f, [...transports], false);
      await client.opened;
      assert.equal(client.socket.transport.name, transports[0]);
      client.socket.send('hello');
      client.socket.send(Buffer.from([1, 2, 3]));
      client.socket.send('é€😀');
      const got = await client.waitMessages(3);
      assert.equal(got[0], 'hello');
      assert.deepEqual(toBuffer(got[1]!), Buffer.from([1, 2, 3]));
      assert.equal(got[2], 'é€😀');
      const record = f.records.find((r) => r.session.id === client.socket.id)!;
      client.socket.close();
      assert.equal(await client.closed, 'forced close');
      assert.equal((await record.closed).reason, 'transport close');
      await assertNoSessions(f);
    });
  }

  test('polling then upgrade to websocket: echo keeps working and survives heartbeats', async () => {
    const client = connect(f, ['polling', 'websocket']);
    const upgraded = deferred<string>();
    client.socket.on('upgrade', (transport: { name: string }) => upgraded.resolve(transport.name));
    await client.opened;
    client.socket.send('before');
    assert.equal(await upgraded.promise, 'websocket');
    const record = await f.session(client.socket.id!);
    // The client reports the upgrade once it has sent `5`; the server switches on receiving it.
    await waitUntil(() => record.session.transport === 'websocket', 'server-side switch', 3000);
    client.socket.send('after');
    client.socket.send(Buffer.from([9, 8]));
    const got = await client.waitMessages(3);
    assert.deepEqual(got.slice(0, 2), ['before', 'after']);
    assert.deepEqual(toBuffer(got[2]!), Buffer.from([9, 8]));
    // Several heartbeat rounds pass without the session closing.
    await new Promise<void>((resolve) => {
      let pings = 0;
      client.socket.on('ping', () => {
        if (++pings === 3) resolve();
      });
    });
    assert.equal(record.session.state, 'open');
    client.socket.close();
    assert.equal((await record.closed).reason, 'transport close');
    await assertNoSessions(f);
  });

  test('a server close reaches the client as transport close', async () => {
    const client = connect(f, ['polling', 'websocket'], false);
    await client.opened;
    const record = await f.session(client.socket.id!);
    record.session.close();
    assert.equal(await client.closed, 'transport close');
    assert.equal((await record.closed).reason, 'forced close');
    await assertNoSessions(f);
  });
});
