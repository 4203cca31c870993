/**
 * The node internals the own HTTP path relies on (`http._connectionListener`, node's parser reading
 * bytes unshifted onto a socket) are checked once per process when an engine with ownHttp first
 * attaches. When they are missing (forced here), one warning line is printed and every request goes
 * through node:http, still answered.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { forceNodeInternalsMissing } from '../../src/engine/http/node-internals.js';
import { assertEchoed, handshake, postOf, RawConnection, start } from './owned-support.js';

describe('the node internals check of the own HTTP path', () => {
  const warnings: string[] = [];
  const realWarn = console.warn;
  beforeEach(() => {
    warnings.length = 0;
    console.warn = (...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    };
  });
  afterEach(() => {
    console.warn = realWarn;
    forceNodeInternalsMissing(false);
  });

  test('with the internals missing: one warning line for every engine, and node:http answers', async () => {
    forceNodeInternalsMissing(true);
    const first = await start();
    const second = await start();
    const nodeListener = (http as unknown as { _connectionListener: unknown })._connectionListener;
    for (const f of [first, second]) {
      assert.deepEqual(f.http.rawListeners('connection'), [nodeListener], "node's listener stays in place");
    }
    const c = await RawConnection.open(first.port);
    const sid = await handshake(c);
    c.write(postOf(sid, '4through node'));
    await assertEchoed(c, sid, '4through node');
    assert.equal(first.nodeRequests, 3);
    const d = await RawConnection.open(second.port);
    await handshake(d);
    assert.equal(second.nodeRequests, 1);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /^parley: ownHttp is off, node:http answers every request \(.*_connectionListener/);
    c.socket.destroy();
    d.socket.destroy();
  });

  test('with the internals there: no warning, and the engine answers itself', async () => {
    // Forgets the outcome of any earlier check, so this one runs it again.
    forceNodeInternalsMissing(false);
    const f = await start();
    const c = await RawConnection.open(f.port);
    await handshake(c);
    assert.equal(f.nodeRequests, 0);
    assert.deepEqual(warnings, []);
    c.socket.destroy();
  });
});
