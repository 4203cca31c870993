import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINE_ERRORS } from '../../src/engine/errors.js';
import { http, type HttpAnswer, WsClient } from '../support/raw-clients.js';
import { assertNoSessions } from '../support/sessions.js';
import { type Fixture, pollingHandshake, q, startEngine, wsUrl } from './support.js';

function assertError(
  answer: { status: number; body: string },
  code: number,
  message: string,
  status = 400,
): void {
  assert.equal(answer.status, status);
  assert.deepEqual(JSON.parse(answer.body), { code, message });
}

function assertJson(answer: HttpAnswer): void {
  assert.equal(answer.headers['content-type'], 'application/json');
}

describe('engine error responses', () => {
  let f: Fixture;
  before(async () => {
    f = await startEngine();
  });
  after(async () => {
    await f.close();
  });

  test('the error table matches the official server', () => {
    assert.deepEqual(
      Object.values(ENGINE_ERRORS).map((e) => [e.code, e.message, e.status]),
      [
        [0, 'Transport unknown', 400],
        [1, 'Session ID unknown', 400],
        [2, 'Bad handshake method', 400],
        [3, 'Bad request', 400],
        [4, 'Forbidden', 403],
        [5, 'Unsupported protocol version', 400],
      ],
    );
  });

  test('an unknown or missing transport answers code 0', async () => {
    const unknown = await http(`${f.base}?EIO=4&transport=carrier-pigeon`);
    assertError(unknown, 0, 'Transport unknown');
    assertJson(unknown);
    assertError(await http(`${f.base}?EIO=4`), 0, 'Transport unknown');
  });

  test('an unknown sid answers code 1 for GET and POST', async () => {
    assertError(await http(f.base + q('polling', 'nope')), 1, 'Session ID unknown');
    assertError(
      await http(f.base + q('polling', 'nope'), { method: 'POST', body: '4x' }),
      1,
      'Session ID unknown',
    );
  });

  test('a handshake with another method than GET answers code 2', async () => {
    assertError(await http(f.base + q('polling'), { method: 'POST', body: '4x' }), 2, 'Bad handshake method');
    assertError(await http(f.base + q('polling'), { method: 'PUT' }), 2, 'Bad handshake method');
  });

  test('a websocket handshake without an upgrade answers code 3', async () => {
    assertError(await http(f.base + q('websocket')), 3, 'Bad request');
  });

  test('a missing, bad or old EIO answers code 5', async () => {
    assertError(await http(`${f.base}?transport=polling`), 5, 'Unsupported protocol version');
    assertError(await http(`${f.base}?EIO=3&transport=polling`), 5, 'Unsupported protocol version');
    assertError(await http(`${f.base}?EIO=abc&transport=polling`), 5, 'Unsupported protocol version');
  });

  test('refused websocket upgrades get a raw HTTP answer with the JSON body', async () => {
    const cases: [string, number, string][] = [
      ['?EIO=4&transport=nope', 0, 'Transport unknown'],
      [q('websocket', 'unknown-sid'), 1, 'Session ID unknown'],
      ['?EIO=3&transport=websocket', 5, 'Unsupported protocol version'],
      [q('polling'), 3, 'Bad request'],
    ];
    for (const [query, code, message] of cases) {
      const client = new WsClient(wsUrl(f, query));
      assertError(await client.refused, code, message);
    }
  });

  test('a non-polling method on an established session answers code 3 without closing it', async () => {
    const { open } = await pollingHandshake(f);
    assertError(await http(f.base + q('polling', open.sid), { method: 'PUT' }), 3, 'Bad request');
    const record = await f.session(open.sid);
    assert.equal(record.session.state, 'open');
    record.session.close();
    await assertNoSessions(f);
  });
});
