/**
 * A dynamic namespace's own adapter: it holds no socket, and its rooms and sids read as those of its
 * children merged (parley's choice: socket.io's parent adapter shows empty maps).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { cleanup, connectClient, startServer } from '../support/fixtures.js';

afterEach(cleanup);

describe('parent namespace adapter', () => {
  test("rooms, sids and socketRooms read the children's", async (t) => {
    if (process.env.PARLEY_TEST_AGAINST === 'socket.io') {
      t.skip('parley behaviour');
      return;
    }
    const { io, url } = await startServer();
    const parent = io.of(/^\/dyn-\d+$/);
    parent.on('connection', (socket) => {
      socket.join(`room-of-${socket.nsp.name}`);
      socket.join('shared');
    });
    const a = await connectClient(url, { nsp: '/dyn-1' });
    const b = await connectClient(url, { nsp: '/dyn-2' });
    const rooms = parent.adapter.rooms;
    assert.deepEqual(rooms.get('shared'), new Set([a.id, b.id]));
    assert.deepEqual(rooms.get('room-of-/dyn-1'), new Set([a.id]));
    assert.deepEqual(parent.adapter.sids.get(b.id!), new Set([b.id, 'room-of-/dyn-2', 'shared']));
    assert.deepEqual(
      (parent.adapter as unknown as { socketRooms(id: string): Set<string> | undefined }).socketRooms(a.id!),
      new Set([a.id, 'room-of-/dyn-1', 'shared']),
    );
  });
});
