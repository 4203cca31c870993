/**
 * What two nodes on one Redis must do for each other, as tests over a pair of node kinds: the
 * same cases run for two nodes of the server under test and for parley beside socket.io, both ways.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import { type ClientSocket, connectClient, waitFor, waitUntil } from '../support/fixtures.js';
import {
  type ClusterNode,
  clusterKey,
  type NodeKind,
  type RedisFlavor,
  startNode,
  whenClustered,
  whenRoomSubscribed,
} from './support.js';

interface Member {
  client: ClientSocket;
  socket: ServerSocket;
}

/** Connects an official client to `node` and returns it with its server-side socket. */
async function join(node: ClusterNode, name: string): Promise<Member> {
  const connected = waitFor<ServerSocket>(node.io, 'connection');
  const client = await connectClient(node.url, { transports: ['websocket'] });
  const socket = await connected;
  socket.data = { name };
  return { client, socket };
}

/** Collects the events a client receives, in order. */
function record(client: ClientSocket): unknown[][] {
  const seen: unknown[][] = [];
  client.onAny((...args: unknown[]) => seen.push(args));
  return seen;
}

/** Defines the cross-node cases for nodes of kinds `first` and `second`. */
export function clusterScenarios(first: NodeKind, second: NodeKind, redisUrl: () => string, flavor: RedisFlavor = 'classic'): void {
  let key = '';
  async function pair(): Promise<[ClusterNode, ClusterNode]> {
    key = clusterKey();
    const nodes: [ClusterNode, ClusterNode] = [
      await startNode(first, redisUrl(), key, flavor),
      await startNode(second, redisUrl(), key, flavor),
    ];
    await whenClustered(nodes);
    return nodes;
  }

  test(`${first} -> ${second}: a broadcast reaches every client, a room broadcast only its members, binary included`, async () => {
    const [a, b] = await pair();
    const onA = await join(a, 'alice');
    const onB = await join(b, 'bob');
    onB.socket.join('room');
    await whenRoomSubscribed(redisUrl(), flavor, key, 'room');
    const seenA = record(onA.client);
    const seenB = record(onB.client);
    a.io.emit('hello', 1, { nested: true });
    a.io.to('room').emit('room', Buffer.from([1, 2, 3]));
    a.io.emit('end');
    await waitUntil(() => seenA.length === 2 && seenB.length === 3, 'every broadcast delivered');
    assert.deepEqual(seenA, [['hello', 1, { nested: true }], ['end']]);
    // On a Redis Cluster the room's own channel may live on another master than the namespace's:
    // nothing orders messages of two channels there (on socket.io either), only those of one.
    const room = flavor === 'sharded-cluster' ? seenB.findIndex((e) => e[0] === 'room') : 1;
    const rest = seenB.filter((_, i) => i !== room);
    assert.deepEqual(rest, [['hello', 1, { nested: true }], ['end']]);
    assert.equal(seenB[room]?.[0], 'room');
    assert.deepEqual([...((seenB[room] ?? [])[1] as Uint8Array)], [1, 2, 3]);
    // And back: a room on the first node, from the second.
    onA.socket.join('other');
    await whenRoomSubscribed(redisUrl(), flavor, key, 'other');
    b.io.to('other').emit('back', 'to-a');
    b.io.except('other').emit('back', 'not-a');
    await waitUntil(() => seenA.length === 3 && seenB.length === 4, 'the broadcasts from the second node');
    assert.deepEqual(seenA[2], ['back', 'to-a']);
    assert.deepEqual(seenB[3], ['back', 'not-a']);
  });

  test(`${first} -> ${second}: fetchSockets lists the sockets of both nodes, with rooms and data, and a remote socket takes emits`, async () => {
    const [a, b] = await pair();
    const onA = await join(a, 'alice');
    const onB = await join(b, 'bob');
    onB.socket.join('room');
    const all = await a.io.fetchSockets();
    assert.deepEqual(all.map((s) => s.id).sort(), [onA.socket.id, onB.socket.id].sort());
    const remote = all.find((s) => s.id === onB.socket.id);
    assert.ok(remote);
    assert.deepEqual(remote.data, { name: 'bob' });
    assert.deepEqual([...remote.rooms].sort(), [onB.socket.id, 'room'].sort());
    assert.equal(typeof remote.handshake.time, 'string');
    assert.deepEqual((await a.io.in('room').fetchSockets()).map((s) => s.id), [onB.socket.id]);
    const got = waitFor(onB.client, 'direct');
    remote.emit('direct', 'hi');
    assert.equal(await got, 'hi');
    // A remote socket answers alone, not as a list.
    onB.client.on('ask', (ack: (answer: string) => void) => ack('from bob'));
    assert.equal(await remote.timeout(2000).emitWithAck('ask'), 'from bob');
    remote.join('via-remote');
    await waitUntil(() => onB.socket.rooms.has('via-remote'), 'the remote socket in the room');
    remote.leave('via-remote');
    await waitUntil(() => !onB.socket.rooms.has('via-remote'), 'the remote socket out of the room');
    const gone = waitFor(onB.client, 'disconnect');
    remote.disconnect();
    assert.equal(await gone, 'io server disconnect');
  });

  test(`${first} -> ${second}: socketsJoin, socketsLeave and disconnectSockets reach the other node`, async () => {
    const [a, b] = await pair();
    const onA = await join(a, 'alice');
    const onB = await join(b, 'bob');
    a.io.socketsJoin('joined');
    await waitUntil(() => onA.socket.rooms.has('joined') && onB.socket.rooms.has('joined'), 'both sockets in the room');
    b.io.in('joined').socketsLeave('joined');
    await waitUntil(() => !onA.socket.rooms.has('joined') && !onB.socket.rooms.has('joined'), 'both sockets out of the room');
    const goneA = waitFor(onA.client, 'disconnect');
    const goneB = waitFor(onB.client, 'disconnect');
    a.io.disconnectSockets();
    assert.equal(await goneA, 'io server disconnect');
    assert.equal(await goneB, 'io server disconnect');
  });

  test(`${first} -> ${second}: serverSideEmit reaches the other node, with acks as callback and as promise`, async () => {
    const [a, b] = await pair();
    const heard = waitFor<unknown[]>(b.io as never, 'note');
    (a.io.serverSideEmit as (ev: string, ...args: unknown[]) => boolean)('note', 'x');
    assert.equal(await heard, 'x');
    (b.io as unknown as { on(ev: string, fn: (...args: unknown[]) => void): void }).on('plus', (n, ack) =>
      (ack as (v: unknown) => void)((n as number) + 1),
    );
    const io = a.io as unknown as {
      serverSideEmit(ev: string, ...args: unknown[]): boolean;
      serverSideEmitWithAck(ev: string, ...args: unknown[]): Promise<unknown[]>;
    };
    assert.deepEqual(await io.serverSideEmitWithAck('plus', 1), [2]);
    const viaCallback = await new Promise<[Error | null, unknown[]]>((resolve) => {
      io.serverSideEmit('plus', 41, (err: Error | null, responses: unknown[]) => resolve([err, responses]));
    });
    assert.deepEqual(viaCallback, [null, [42]]);
  });

  test(`${first} -> ${second}: io.timeout().emit collects the acks of clients on both nodes`, async () => {
    const [a, b] = await pair();
    const onA = await join(a, 'alice');
    const onB = await join(b, 'bob');
    onA.client.on('who', (ack: (name: string) => void) => ack('alice'));
    onB.client.on('who', (ack: (name: string) => void) => ack('bob'));
    const answers = (await a.io.timeout(2000).emitWithAck('who')) as string[];
    assert.deepEqual(answers.sort(), ['alice', 'bob']);
    const fromB = await new Promise<[Error | null, string[]]>((resolve) => {
      b.io.timeout(2000).emit('who', (err: Error | null, responses: string[]) => resolve([err, responses]));
    });
    assert.deepEqual([fromB[0], fromB[1].sort()], [null, ['alice', 'bob']]);
  });
}
