import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { EngineOptions } from '../../src/engine/options.js';
import { http, WsClient } from '../support/raw-clients.js';
import { assertNoSessions } from '../support/sessions.js';
import { type Fixture, q, startEngine, wsUrl } from './support.js';

describe('engine CORS and allowRequest', () => {
  const fixtures: Fixture[] = [];
  const start = async (options: Partial<EngineOptions>) => {
    const f = await startEngine(options);
    fixtures.push(f);
    return f;
  };
  after(async () => {
    for (const f of fixtures) {
      await f.close();
      await assertNoSessions(f);
    }
  });

  test('without cors no CORS headers are sent and OPTIONS is not a handshake', async () => {
    const f = await start({});
    const answer = await http(f.base + q('polling'), { headers: { Origin: 'http://a.test' } });
    assert.equal(answer.headers['access-control-allow-origin'], undefined);
    const preflight = await http(f.base + q('polling'), { method: 'OPTIONS' });
    assert.equal(preflight.status, 400);
    assert.equal(JSON.parse(preflight.body).code, 2);
  });

  test("origin '*' answers every request, error answers included", async () => {
    const f = await start({ cors: { origin: '*' } });
    const ok = await http(f.base + q('polling'), { headers: { Origin: 'http://a.test' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], '*');
    const refused = await http(f.base + q('polling', 'nope'), { headers: { Origin: 'http://a.test' } });
    assert.equal(refused.status, 400);
    assert.equal(refused.headers['access-control-allow-origin'], '*');
  });

  test('a preflight is answered 204 with methods, headers and max-age', async () => {
    const f = await start({
      cors: { origin: ['http://a.test'], credentials: true, maxAge: 600, methods: ['GET', 'POST'] },
    });
    const answer = await http(f.base + q('polling'), {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://a.test',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    assert.equal(answer.status, 204);
    assert.equal(answer.body, '');
    assert.equal(answer.headers['access-control-allow-origin'], 'http://a.test');
    assert.equal(answer.headers['access-control-allow-credentials'], 'true');
    assert.equal(answer.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(answer.headers['access-control-allow-headers'], 'content-type');
    assert.equal(answer.headers['access-control-max-age'], '600');
    assert.match(String(answer.headers.vary), /Origin/);
  });

  test('a list or RegExp reflects only matching origins', async () => {
    const f = await start({ cors: { origin: /\.good\.test$/, exposedHeaders: ['x-a', 'x-b'] } });
    const good = await http(f.base + q('polling'), { headers: { Origin: 'http://app.good.test' } });
    assert.equal(good.headers['access-control-allow-origin'], 'http://app.good.test');
    assert.equal(good.headers['access-control-expose-headers'], 'x-a,x-b');
    const bad = await http(f.base + q('polling'), { headers: { Origin: 'http://evil.test' } });
    assert.equal(bad.headers['access-control-allow-origin'], undefined);
  });

  test('a function origin decides asynchronously', async () => {
    const f = await start({
      cors: {
        origin: (origin, cb) => setImmediate(() => cb(null, origin === 'http://yes.test')),
        credentials: true,
      },
    });
    const yes = await http(f.base + q('polling'), { headers: { Origin: 'http://yes.test' } });
    assert.equal(yes.status, 200);
    assert.equal(yes.headers['access-control-allow-origin'], 'http://yes.test');
    const no = await http(f.base + q('polling'), { headers: { Origin: 'http://no.test' } });
    assert.equal(no.headers['access-control-allow-origin'], undefined);
    assert.equal(no.headers['access-control-allow-credentials'], undefined);
  });

  test('a function origin gets the request third, so it can compare with the Host header', async () => {
    const f = await start({
      cors: {
        origin: (origin, cb, req) => cb(null, origin === `http://${req.headers.host}`),
      },
    });
    const host = new URL(f.base).host;
    const own = await http(f.base + q('polling'), {
      method: 'OPTIONS',
      headers: { Origin: `http://${host}` },
    });
    assert.equal(own.status, 204);
    assert.equal(own.headers['access-control-allow-origin'], `http://${host}`);
    const other = await http(f.base + q('polling'), {
      method: 'OPTIONS',
      headers: { Origin: 'http://a.test' },
    });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  test('allowRequest refusing a websocket handshake answers a raw 403 with its message as the JSON body', async () => {
    const f = await start({ allowRequest: (req, cb) => cb(`not from ${req.headers.origin}`, false) });
    const ws = new WsClient(wsUrl(f, q('websocket')), { origin: 'https://evil.example' });
    const answer = await ws.refused;
    assert.equal(answer.status, 403);
    assert.match(String(answer.headers['content-type']), /application\/json/);
    assert.equal(Number(answer.headers['content-length']), Buffer.byteLength(answer.body));
    assert.deepEqual(JSON.parse(answer.body), { code: 4, message: 'not from https://evil.example' });
    assert.equal(f.engine.clientsCount, 0);
  });

  test('allowRequest refusing a polling handshake answers 403 code 4 with its message', async () => {
    const f = await start({
      allowRequest: (req, cb) =>
        cb(req.headers['x-token'] === 'ok' ? null : 'no token', req.headers['x-token'] === 'ok'),
    });
    const refused = await http(f.base + q('polling'));
    assert.equal(refused.status, 403);
    assert.deepEqual(JSON.parse(refused.body), { code: 4, message: 'no token' });
    assert.equal(f.engine.clientsCount, 0);
    const accepted = await http(f.base + q('polling'), { headers: { 'x-token': 'ok' } });
    assert.equal(accepted.status, 200);
    const sid = (JSON.parse(accepted.body.slice(1)) as { sid: string }).sid;
    (await f.session(sid)).session.close();
  });

  test('allowRequest refusing without a message answers Forbidden, for websocket too', async () => {
    const f = await start({ allowRequest: (_req, cb) => setImmediate(() => cb(null, false)) });
    const refused = await http(f.base + q('polling'));
    assert.equal(refused.status, 403);
    assert.deepEqual(JSON.parse(refused.body), { code: 4, message: 'Forbidden' });
    const ws = new WsClient(wsUrl(f, q('websocket')));
    const answer = await ws.refused;
    assert.equal(answer.status, 403);
    assert.deepEqual(JSON.parse(answer.body), { code: 4, message: 'Forbidden' });
  });
});
