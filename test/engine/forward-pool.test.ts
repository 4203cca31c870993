/**
 * The connections a forwarding node keeps to the owners of sessions: an idle one is dropped by the
 * forwarding node before the owner's keepAliveTimeout would close it, so a request never goes out
 * on a connection the owner is closing at that instant (ECONNRESET: the client would see its
 * session gone).
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { HOP_HEADER } from '../../src/engine/index.js';
import { withTimeout } from '../support/waiting.js';
import { engineStarter, pollingHandshake, post } from './support.js';

const start = engineStarter();

test("an idle connection to the owner is closed by the forwarding node, before the owner's keepAliveTimeout", async () => {
  const peers: Record<string, string> = {};
  const owner = await start({ forward: { nodeId: 'b', peers } });
  const forwarder = await start({ forward: { nodeId: 'a', peers } });
  peers.b = `127.0.0.1:${owner.port}`;
  peers.a = `127.0.0.1:${forwarder.port}`;
  // The owner announces `Keep-Alive: timeout=3`; the forwarder must let go within 2 s (3 s less
  // node's 1 s margin), well before the owner closes the connection itself at 3 s.
  owner.http.keepAliveTimeout = 3000;
  const pooled = new Promise<Socket>((resolve) => {
    owner.http.on('request', (req) => {
      if (req.headers[HOP_HEADER] !== undefined) resolve(req.socket);
    });
  });
  const { open } = await pollingHandshake(owner);
  assert.match(open.sid, /^b\./);
  assert.equal((await post(forwarder, open.sid, '4hello')).body, 'ok');
  const socket = await withTimeout(pooled, 'the forwarded request on the owner');
  // Who closed it: a FIN from the forwarder ends the owner's side first ('end'); the owner's own
  // keepAliveTimeout destroys it without one.
  let endedByPeer = false;
  socket.once('end', () => {
    endedByPeer = true;
  });
  await withTimeout(new Promise((resolve) => socket.once('close', resolve)), 'the pooled connection to close', 6000);
  assert.equal(endedByPeer, true, 'the owner closed the idle connection: the forwarder kept it past the hint');
});
