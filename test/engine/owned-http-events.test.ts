/**
 * engine.io's events on the engine's own HTTP path (ownHttp): `initial_headers` / `headers`
 * listeners change the answers the engine writes itself, `connection_error` reports its refusals,
 * and an assigned `generateId` names its sessions. Their `req` is what the engine read of the
 * request (method, url, httpVersion, headers, socket), not an IncomingMessage; node:http parses
 * none of these requests.
 */
import assert from 'node:assert/strict';
import { IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import type { EngineConnectionError, EngineRequest } from '../../src/engine/index.js';
import { getOf, HANDSHAKE, handshake, postOf, RawConnection, start } from './owned-support.js';

describe('engine events on the own HTTP path', () => {
  test('headers added by listeners are sent on the handshake, GET and POST answers; req is what the engine read', async () => {
    const f = await start();
    const reqs: EngineRequest[] = [];
    f.engine.on('initial_headers', (headers: OutgoingHttpHeaders) => {
      headers['x-initial'] = '1';
    });
    f.engine.on('headers', (headers: OutgoingHttpHeaders, req: EngineRequest) => {
      reqs.push(req);
      headers['x-every'] = req.method;
    });
    const c = await RawConnection.open(f.port);
    c.write(HANDSHAKE);
    const open = await c.response();
    assert.equal(open.headers['x-initial'], '1');
    assert.equal(open.headers['x-every'], 'GET');
    const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
    c.write(postOf(sid, '4hi'));
    const ok = await c.response();
    assert.equal(ok.headers['x-every'], 'POST');
    assert.equal(ok.headers['x-initial'], undefined);
    c.write(getOf(sid));
    const echoed = await c.response();
    assert.equal(echoed.body, '4hi');
    assert.equal(echoed.headers['x-every'], 'GET');
    assert.equal(f.nodeRequests, 0);
    assert.equal(reqs.length, 3);
    assert.ok(!(reqs[0] instanceof IncomingMessage));
    assert.equal(reqs[0]!.url, '/e/?EIO=4&transport=polling');
    assert.equal(reqs[0]!.headers.host, 't');
    c.socket.destroy();
  });

  test('connection_error reports a refusal the engine answered itself', async () => {
    const f = await start();
    const errors: EngineConnectionError[] = [];
    f.engine.on('connection_error', (err) => errors.push(err));
    const c = await RawConnection.open(f.port);
    c.write(getOf('nobody'));
    assert.equal((await c.response()).status, 400);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 1);
    assert.deepEqual(errors[0]!.context, { sid: 'nobody' });
    assert.equal(errors[0]!.req.url, '/e/?EIO=4&transport=polling&sid=nobody');
    assert.equal(f.nodeRequests, 0);
    c.socket.destroy();
  });

  test('a generateId assigned after attach names the sessions', async () => {
    const f = await start();
    f.engine.generateId = (req) => `id-for-${(req as EngineRequest).headers.host}`;
    const c = await RawConnection.open(f.port);
    assert.equal(await handshake(c), 'id-for-t');
    assert.equal(f.nodeRequests, 0);
    c.socket.destroy();
  });
});
