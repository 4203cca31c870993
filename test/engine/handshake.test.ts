import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Duplex } from 'node:stream';
import { http, WsClient } from '../support/raw-clients.js';
import { assertNoSessions } from '../support/sessions.js';
import { engineStarter, pollingHandshake, q, wsHandshake, wsUrl } from './support.js';

describe('engine handshake', () => {
  const start = engineStarter();

  test('a polling handshake answers 200 with the open packet and its fields', async () => {
    const f = await start({ maxPayload: 5000 });
    const { open, answer } = await pollingHandshake(f);
    assert.equal(answer.headers['content-type'], 'text/plain; charset=UTF-8');
    assert.match(open.sid, /^[A-Za-z0-9_-]{20}$/);
    assert.deepEqual(open.upgrades, ['websocket']);
    assert.equal(open.pingInterval, 300);
    assert.equal(open.pingTimeout, 200);
    assert.equal(open.maxPayload, 5000);
    const record = await f.session(open.sid);
    assert.equal(record.session.transport, 'polling');
    assert.equal(record.session.state, 'open');
    assert.equal(record.session.remoteAddress, '127.0.0.1');
    assert.equal(f.engine.clientsCount, 1);
    assert.deepEqual(
      [...f.engine.sessions()].map((s) => s.id),
      [open.sid],
    );
    record.session.close();
    await record.closed;
    await assertNoSessions(f);
  });

  test('upgrades is empty when upgrades are off or websocket is not offered', async () => {
    const off = await start({ allowUpgrades: false });
    assert.deepEqual((await pollingHandshake(off)).open.upgrades, []);
    const pollingOnly = await start({ transports: ['polling'] });
    assert.deepEqual((await pollingHandshake(pollingOnly)).open.upgrades, []);
    await off.close();
    await pollingOnly.close();
    await assertNoSessions(off);
    await assertNoSessions(pollingOnly);
  });

  test('a websocket handshake sends the open packet as the first text frame', async () => {
    const f = await start();
    const { client, open } = await wsHandshake(f);
    assert.deepEqual(open.upgrades, []);
    assert.equal(open.pingInterval, 300);
    const record = await f.session(open.sid);
    assert.equal(record.session.transport, 'websocket');
    client.terminate();
    assert.equal((await record.closed).reason, 'transport close');
    await assertNoSessions(f);
  });

  test('the 101 answer leaves on its own, before the open packet, as on engine.io', async () => {
    // A client that starts listening for messages only once 'open' has fired (the official
    // protocol suite's does) misses an open packet read in the same chunk as the 101. So the 101
    // is written by itself, on an uncorked socket, and the open packet by a write of its own.
    const f = await start();
    const writes: { text: string; corked: number }[] = [];
    f.http.prependListener('upgrade', (_req, socket: Duplex & { writableCorked: number }) => {
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = ((...args: unknown[]) => {
        writes.push({ text: Buffer.from(args[0] as string | Buffer).toString('latin1'), corked: socket.writableCorked });
        return write(...args);
      }) as typeof socket.write;
    });
    const { client, open } = await wsHandshake(f);
    assert.ok(writes.length >= 2, `${writes.length} writes`);
    assert.match(writes[0]!.text, /^HTTP\/1\.1 101 Switching Protocols\r\n[\s\S]*\r\n\r\n$/);
    assert.equal(writes[0]!.corked, 0, 'the socket is not corked when the 101 is written');
    assert.ok(writes[1]!.text.includes(open.sid), 'the next write carries the open packet');
    client.terminate();
    await assertNoSessions(f);
  });

  test('session ids are unique and generateId is honoured', async () => {
    const f = await start();
    const a = await pollingHandshake(f);
    const b = await pollingHandshake(f);
    assert.notEqual(a.open.sid, b.open.sid);
    await f.close();
    await assertNoSessions(f);
    let n = 0;
    // Quotes, backslashes and non-ASCII: the open packet is still the JSON of the id.
    const custom = await start({ generateId: () => `custom-"\\-é-${++n}` });
    assert.equal((await pollingHandshake(custom)).open.sid, 'custom-"\\-é-1');
    const { client, open } = await wsHandshake(custom);
    assert.equal(open.sid, 'custom-"\\-é-2');
    client.terminate();
    await custom.close();
    await assertNoSessions(custom);
    // A generateId method assigned on the engine (as on engine.io) makes the ids of both handshakes.
    const assigned = await start();
    assigned.engine.generateId = () => `assigned-${++n}`;
    assert.equal((await pollingHandshake(assigned)).open.sid, 'assigned-3');
    const ws = await wsHandshake(assigned);
    assert.equal(ws.open.sid, 'assigned-4');
    ws.client.terminate();
    await assigned.close();
    await assertNoSessions(assigned);
  });

  test('the cookie option sets the session cookie on both handshakes', async () => {
    const f = await start({ cookie: { name: 'eio', sameSite: 'strict' } });
    const { open, answer } = await pollingHandshake(f);
    assert.deepEqual(answer.headers['set-cookie'], [`eio=${open.sid}; Path=/; HttpOnly; SameSite=Strict`]);
    const client = new WsClient(wsUrl(f, q('websocket')));
    const upgrade = new Promise<string[] | undefined>((resolve) =>
      client.ws.once('upgrade', (res) => resolve(res.headers['set-cookie'])),
    );
    const cookies = await upgrade;
    const first = await client.next();
    const sid = (JSON.parse((first as string).slice(1)) as { sid: string }).sid;
    assert.deepEqual(cookies, [`eio=${sid}; Path=/; HttpOnly; SameSite=Strict`]);
    client.terminate();
    const plain = await start();
    assert.equal((await pollingHandshake(plain)).answer.headers['set-cookie'], undefined);
    await f.close();
    await plain.close();
    await assertNoSessions(f);
  });

  test('a custom path is served and the default path is not', async () => {
    const f = await start({ path: '/custom' });
    assert.equal(f.base.endsWith('/custom/'), true);
    const answer = await http(f.base + q('polling'));
    assert.equal(answer.status, 200);
    assert.equal(answer.body[0], '0');
    await f.close();
    await assertNoSessions(f);
  });
});
