/**
 * The MUSTs of the Engine.IO v4 spec (shared/specs/engine.io-protocol-v4.md), checked against the
 * engine-echo example run as a child process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ExampleProcess, startExample } from '../support/processes.js';
import { http, type OpenPayload, RawPolling, WsClient } from '../support/raw-clients.js';

describe('Engine.IO v4 conformance (examples/engine-echo.ts)', () => {
  let example: ExampleProcess;
  let base: string;
  let wsBase: string;

  before(async () => {
    example = await startExample('engine-echo');
    base = `http://127.0.0.1:${example.port}/engine.io/`;
    wsBase = `ws://127.0.0.1:${example.port}/engine.io/`;
  });

  after(async () => {
    await example.stop();
  });

  async function handshake(): Promise<OpenPayload> {
    return (await RawPolling.handshake(base)).open;
  }

  test('handshake: the open packet carries sid, upgrades, pingInterval, pingTimeout, maxPayload', async () => {
    const open = await handshake();
    assert.equal(typeof open.sid, 'string');
    assert.ok(open.sid.length > 0);
    assert.deepEqual(open.upgrades, ['websocket']);
    assert.equal(open.pingInterval, 300);
    assert.equal(open.pingTimeout, 200);
    assert.equal(open.maxPayload, 1_000_000);
    await post(open.sid, '1');
  });

  function post(sid: string, body: string) {
    return new RawPolling(base, sid).post(body);
  }
  function get(sid: string) {
    return new RawPolling(base, sid).get();
  }

  test('polling: a missing mandatory query parameter answers 400', async () => {
    assert.equal((await http(`${base}?transport=polling`)).status, 400);
    assert.equal((await http(`${base}?EIO=4`)).status, 400);
  });

  test('polling: an unknown sid answers 400 for GET and POST', async () => {
    assert.equal((await get('unknown')).status, 400);
    assert.equal((await post('unknown', '4x')).status, 400);
  });

  test('polling: POST answers 200 ok, text and binary echo back b-prefixed in GET', async () => {
    const { sid } = await handshake();
    const answer = await post(sid, '4hello\x1ebAQIDBA==');
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'ok');
    const got: string[] = [];
    while (got.length < 2) {
      for (const p of (await get(sid)).body.split('\x1e')) {
        if (p === '2') await post(sid, '3');
        else got.push(p);
      }
    }
    assert.deepEqual(got, ['4hello', 'bAQIDBA==']);
    await post(sid, '1');
  });

  test('polling: two concurrent GETs answer 400 and close the session', async () => {
    const { sid } = await handshake();
    const first = get(sid);
    const second = get(sid);
    const statuses = [(await first).status, (await second).status].sort();
    // Either the second GET overlaps the first (400) or the first was already answered by a ping.
    if (statuses[1] === 400) {
      assert.equal((await get(sid)).status, 400, 'the session is gone');
    } else {
      await post(sid, '1');
    }
  });

  test('heartbeat: pings arrive every pingInterval and no pong closes after pingTimeout', async () => {
    // Timed from before the session exists: its first ping cannot come sooner than pingInterval.
    const start = Date.now();
    const { sid } = await handshake();
    assert.equal((await get(sid)).body, '2');
    const firstPing = Date.now() - start;
    assert.ok(firstPing >= 300 - 2 && firstPing < 1000, `first ping after ${firstPing}ms`);
    await post(sid, '3');
    assert.equal((await get(sid)).body, '2');
    // No pong: the next request finds the session closed (the pending GET gets a close packet).
    const pending = await get(sid);
    assert.ok(['1', '6'].includes(pending.body) || pending.status === 400, pending.body);
    assert.equal((await get(sid)).status, 400);
  });

  test('websocket: the open packet is the first frame, text and binary echo frames', async () => {
    const client = new WsClient(`${wsBase}?EIO=4&transport=websocket`);
    await client.opened;
    const first = (await client.next()) as string;
    assert.equal(first[0], '0');
    const open = JSON.parse(first.slice(1)) as OpenPayload;
    assert.deepEqual(open.upgrades, []);
    client.answerPings();
    client.send('4hi');
    client.send(Buffer.from([7, 8, 9]));
    assert.equal(await client.nextNonPing(), '4hi');
    assert.deepEqual(await client.nextNonPing(), Buffer.from([7, 8, 9]));
    client.send('1');
    await client.closed;
  });

  test('websocket: a missing mandatory query parameter closes the connection', async () => {
    const client = new WsClient(`${wsBase}?transport=websocket`);
    assert.equal((await client.refused).status, 400);
  });

  test('websocket: heartbeat pings, and no pong closes the connection', async () => {
    // Timed from before the session exists: its first ping cannot come sooner than pingInterval
    // after that, its timeout not sooner than pingTimeout after the ping.
    const start = Date.now();
    const client = new WsClient(`${wsBase}?EIO=4&transport=websocket`);
    await client.opened;
    await client.next();
    assert.equal(await client.next(), '2');
    const elapsed = Date.now() - start;
    assert.ok(elapsed >= 300 - 2 && elapsed < 1000, `ping after ${elapsed}ms`);
    await client.closed;
    const closedAfter = Date.now() - start;
    assert.ok(closedAfter >= 300 + 200 - 2 && closedAfter < 2000, `closed ${closedAfter}ms after open`);
  });

  test('upgrade: 2probe → 3probe, noop to the pending GET, 5, then messages on websocket', async () => {
    const { sid } = await handshake();
    const pending = get(sid);
    const client = new WsClient(`${wsBase}?EIO=4&transport=websocket&sid=${sid}`);
    await client.opened;
    client.send('2probe');
    assert.equal(await client.next(), '3probe');
    const released = await pending;
    assert.ok(released.body.split('\x1e').includes('6'), `pending GET got ${released.body}`);
    client.send('5');
    client.answerPings();
    client.send('4upgraded');
    assert.equal(await client.nextNonPing(), '4upgraded');
    assert.equal((await get(sid)).status, 400, 'polling is refused after the upgrade');
    client.send('1');
    await client.closed;
  });

  test('CORS: the example allows any origin', async () => {
    const answer = await http(`${base}?EIO=4&transport=polling`, { headers: { Origin: 'http://x.test' } });
    assert.equal(answer.headers['access-control-allow-origin'], '*');
    const { sid } = JSON.parse(answer.body.slice(1)) as OpenPayload;
    await post(sid, '1');
  });
});
