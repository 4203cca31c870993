/**
 * `socket.conn.close(code, reason)`: a plain client's connection closes with that WebSocket close
 * code and reason, after what was sent before; a code a server may not send is refused before
 * anything closes; an Engine.IO connection ignores the code and closes as `conn.close()` does.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { waitFor, withTimeout } from '../support/waiting.js';
import { connectPlain, connectSio, disconnectReason, serverSocket } from './support.js';

afterEach(cleanup);

describe('closing a connection with a close code', () => {
  test('a plain client gets the code and reason, after the frames sent before', async () => {
    const server = await startServer({}, PARLEY);
    const { peer, id } = await connectPlain(server);
    const socket = serverSocket(server.io, id);
    const reason = disconnectReason(socket);
    socket.emit('last', 'words');
    socket.conn.close(1011, 'upstream unreachable');
    assert.deepEqual(await peer.nextJson(), { event: 'last', data: 'words' });
    assert.deepEqual(await withTimeout(peer.closed, 'the close'), { code: 1011, reason: 'upstream unreachable' });
    assert.equal(await reason, 'forced close');
  });

  test('an application code (4000-4999) is sent as is; without a code the close is 1000', async () => {
    const server = await startServer({}, PARLEY);
    const first = await connectPlain(server);
    serverSocket(server.io, first.id).conn.close(4001, 'bye');
    assert.deepEqual(await withTimeout(first.peer.closed, 'the close'), { code: 4001, reason: 'bye' });
    const second = await connectPlain(server);
    serverSocket(server.io, second.id).conn.close();
    assert.equal((await withTimeout(second.peer.closed, 'the close')).code, 1000);
  });

  for (const code of [999, 1005, 1006, 1015, 2000, 5000, 1011.5]) {
    test(`code ${code} is refused with a RangeError and the connection stays open`, async () => {
      const server = await startServer({}, PARLEY);
      const { peer, id } = await connectPlain(server);
      const socket = serverSocket(server.io, id);
      assert.throws(() => socket.conn.close(code, 'x'), RangeError);
      socket.emit('still', 'open');
      assert.deepEqual(await peer.nextJson(), { event: 'still', data: 'open' });
    });
  }

  test('an Engine.IO connection ignores the code and closes', async () => {
    const server = await startServer({}, PARLEY);
    const client = await connectSio(server);
    const [socket] = [...server.io.sockets.sockets.values()];
    assert.ok(socket);
    const gone = waitFor(client, 'disconnect');
    socket.conn.close(1011, 'ignored');
    assert.equal(await gone, 'transport close');
  });
});
