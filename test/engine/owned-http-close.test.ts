/**
 * Shutting down with ownHttp on: the engine tracks the connections it answers itself and closes
 * them in its own close(); node's server.close() still completes with such connections idle
 * (node only waits for its own busy ones); the server's methods are node's, never replaced.
 */
import assert from 'node:assert/strict';
import { Server } from 'node:http';
import { describe, test } from 'node:test';
import type { Session } from '../../src/engine/session.js';
import { getOf, HANDSHAKE, RawConnection, startWithSession, } from './owned-support.js';
import { waitUntil, withTimeout } from '../support/waiting.js';

describe('closing a server whose engine answers HTTP itself', () => {
  test("the server's closeIdleConnections and closeAllConnections stay node's own", async () => {
    const { f, c } = await startWithSession();
    assert.equal(f.nodeRequests, 0, 'the handshake went the own path');
    assert.equal(Object.hasOwn(f.http, 'closeIdleConnections'), false);
    assert.equal(Object.hasOwn(f.http, 'closeAllConnections'), false);
    assert.equal(f.http.closeIdleConnections, Server.prototype.closeIdleConnections);
    c.socket.destroy();
  });

  test('httpServer.close() alone completes with an idle kept-alive owned connection and a held GET', async () => {
    const { f, c, sid } = await startWithSession();
    // Far beyond the guard: only the close itself may end these connections.
    f.http.keepAliveTimeout = 60_000;
    const held = await RawConnection.open(f.port);
    held.write(getOf(sid));
    await waitUntil(() => (f.sessions[0] as Session).writable, 'GET held', 3000);
    const closed = new Promise<void>((resolve) => f.http.close(() => resolve()));
    // The held GET gets its answer (the next ping) saying the connection closes.
    const answer = await withTimeout(held.response(), 'the held GET');
    assert.equal(answer.headers.connection, 'close');
    await withTimeout(Promise.all([c.closed, held.closed, closed]), 'server.close()');
  });

  test('engine.close() closes owned connections: idle ones at once, a held GET after its answer', async () => {
    const { f, c, sid } = await startWithSession();
    f.http.keepAliveTimeout = 60_000;
    const held = await RawConnection.open(f.port);
    held.write(getOf(sid));
    await waitUntil(() => (f.sessions[0] as Session).writable, 'GET held', 3000);
    await withTimeout(f.engine.close(), 'engine.close()');
    const answer = await held.response();
    assert.equal(answer.body, '1');
    assert.equal(answer.headers.connection, 'close');
    await withTimeout(Promise.all([c.closed, held.closed]), 'the owned connections to close');
    // The server itself still serves; new connections are node's, which refuses the engine's path.
    assert.equal(f.http.listening, true);
    const later = await RawConnection.open(f.port);
    later.write(HANDSHAKE);
    const refused = await withTimeout(later.response(), 'a handshake after close');
    assert.equal(refused.status, 400);
    assert.deepEqual(JSON.parse(refused.body), { code: 3, message: 'Server is closing' });
    assert.equal(f.nodeRequests, 1);
    later.socket.destroy();
  });

  test('engine.close() destroys an owned connection still busy after a second (a body that never ends)', async () => {
    const { f, c, sid, serverHasRead } = await startWithSession();
    c.write(`POST /e/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n4part`);
    await serverHasRead();
    await withTimeout(f.engine.close(), 'engine.close()');
    await withTimeout(c.closed, 'the busy connection to close');
  });
});
