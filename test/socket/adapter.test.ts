import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import type { OutboundMessage } from '../../src/engine/message.js';
import {
  type AdapterHost,
  type BroadcastFlags,
  EncodedPacket,
  InMemoryAdapter,
  type LocalSocket,
  type Room,
  socketIoFormat,
  type WireFormat,
} from '../../src/socket/adapter.js';
import type { Packet } from '../../src/socket/packet.js';
import { seededRandom } from '../support/random.js';

/** A recipient that records what it is handed, encoded in a counting wire format. */
class RecordingSocket implements LocalSocket {
  readonly received: (readonly OutboundMessage[])[] = [];
  readonly acks = new Map<number, (err: Error | null, args: unknown[]) => void>();
  readonly rooms = new Set<Room>();
  data = {};
  handshake = {};
  disconnected: boolean | undefined;

  constructor(
    readonly id: string,
    private readonly adapter: () => InMemoryAdapter,
    private readonly format: WireFormat,
  ) {}

  deliver(encoded: EncodedPacket, _flags: BroadcastFlags): void {
    this.received.push(encoded.in(this.format));
  }
  expectAck(id: number, callback: (err: Error | null, args: unknown[]) => void): void {
    this.acks.set(id, callback);
  }
  cancelAck(id: number): void {
    this.acks.delete(id);
  }
  get awaitedAcks(): number {
    return this.acks.size;
  }
  join(rooms: Room | readonly Room[]): void {
    this.adapter().addAll(this.id, typeof rooms === 'string' ? [rooms] : rooms);
  }
  leave(room: Room): void {
    this.adapter().del(this.id, room);
  }
  disconnect(close?: boolean): void {
    this.disconnected = close ?? false;
    this.adapter().delAll(this.id);
  }
}

function setup(count: number) {
  let encodes = 0;
  const countingFormat: WireFormat = {
    name: 'counting',
    encode(prepared) {
      encodes++;
      return socketIoFormat.encode(prepared);
    },
  };
  const sockets = new Map<string, RecordingSocket>();
  let ackIds = 0;
  const host: AdapterHost = {
    name: '/',
    recipient: (id) => sockets.get(id),
    recipients: () => sockets.values(),
    nextAckId: () => ackIds++,
  };
  const adapter = new InMemoryAdapter(host);
  for (let i = 0; i < count; i++) {
    const socket = new RecordingSocket(`s${i}`, () => adapter, countingFormat);
    sockets.set(socket.id, socket);
    adapter.addAll(socket.id, [socket.id]);
  }
  return { adapter, sockets: [...sockets.values()], encodes: () => encodes };
}

const hello: Packet = { type: 'event', nsp: '/', data: ['hello', { n: 1 }] };

/** How many packets each socket was handed, in socket order. */
function receivedCounts(sockets: readonly RecordingSocket[]): number[] {
  return sockets.map((s) => s.received.length);
}

describe('in-memory adapter', () => {
  test('a broadcast to 100 sockets encodes the packet once and hands each the same messages', () => {
    const { adapter, sockets, encodes } = setup(100);
    adapter.broadcast(hello, { rooms: new Set() });
    assert.equal(encodes(), 1);
    const first = sockets[0]!.received[0];
    for (const socket of sockets) assert.equal(socket.received[0], first);
  });

  test('a socket in several targeted rooms receives the packet once', () => {
    const { adapter, sockets } = setup(3);
    adapter.addAll('s0', ['a', 'b']);
    adapter.addAll('s1', ['b']);
    adapter.broadcast(hello, { rooms: new Set(['a', 'b']) });
    assert.deepEqual(receivedCounts(sockets), [1, 1, 0]);
  });

  test('except removes the members of the excluded rooms', () => {
    const { adapter, sockets } = setup(3);
    adapter.addAll('s0', ['x']);
    adapter.addAll('s1', ['x', 'muted']);
    adapter.broadcast(hello, { rooms: new Set(['x']), except: new Set(['muted']) });
    assert.deepEqual(receivedCounts(sockets), [1, 0, 0]);
    adapter.broadcast(hello, { rooms: new Set(), except: new Set(['s2']) });
    assert.deepEqual(receivedCounts(sockets), [2, 1, 0]);
  });

  test('leaving the last member deletes the room, delAll forgets the socket', () => {
    const { adapter } = setup(2);
    adapter.addAll('s0', ['r']);
    adapter.addAll('s1', ['r']);
    adapter.del('s0', 'r');
    assert.deepEqual([...adapter.rooms.get('r')!], ['s1']);
    adapter.delAll('s1');
    assert.equal(adapter.rooms.has('r'), false);
    assert.equal(adapter.sids.has('s1'), false);
  });

  test("adapter.rooms shows each socket's own room beside the joined ones, as socket.io does", () => {
    const { adapter } = setup(3);
    adapter.addAll('s0', ['lobby']);
    adapter.addAll('s1', ['lobby']);
    assert.deepEqual(adapter.rooms.get('s0'), new Set(['s0']));
    assert.equal(adapter.rooms.has('s2'), true);
    assert.equal(adapter.rooms.has('nobody'), false);
    assert.equal(adapter.rooms.get('nobody'), undefined);
    assert.equal(adapter.rooms.size, 4);
    assert.deepEqual(
      new Map(adapter.rooms),
      new Map([
        ['lobby', new Set(['s0', 's1'])],
        ['s0', new Set(['s0'])],
        ['s1', new Set(['s1'])],
        ['s2', new Set(['s2'])],
      ]),
    );
    assert.deepEqual([...adapter.rooms.keys()].sort(), ['lobby', 's0', 's1', 's2']);
    const seen: string[] = [];
    adapter.rooms.forEach((members, room) => {
      seen.push(`${room}:${members.size}`);
    });
    assert.deepEqual(seen.sort(), ['lobby:2', 's0:1', 's1:1', 's2:1']);
    // Printed (console.log) as the Map socket.io has, not as the compact storage behind it.
    assert.equal(inspect(adapter.rooms), inspect(new Map(adapter.rooms)));
    assert.match(inspect(adapter.sids), /^Map\(3\) \{/);
    assert.deepEqual(adapter.sids.get('s0'), new Set(['s0', 'lobby']));
    adapter.delAll('s2');
    assert.equal(adapter.rooms.has('s2'), false);
    assert.equal(adapter.rooms.size, 3);
  });

  test('a socket that leaves its own room is no longer reached through it, until it joins again', () => {
    const { adapter, sockets } = setup(2);
    adapter.del('s0', 's0');
    assert.equal(adapter.rooms.has('s0'), false);
    adapter.broadcast(hello, { rooms: new Set(['s0']) });
    assert.equal(sockets[0]!.received.length, 0);
    adapter.addAll('s0', ['s0']);
    adapter.broadcast(hello, { rooms: new Set(['s0']) });
    assert.equal(sockets[0]!.received.length, 1);
  });

  test("a room named after another socket's id holds both, and a broadcast reaches each once", () => {
    const { adapter, sockets } = setup(3);
    adapter.addAll('s0', ['s1']);
    assert.deepEqual(adapter.rooms.get('s1'), new Set(['s1', 's0']));
    adapter.broadcast(hello, { rooms: new Set(['s1', 's0']) });
    assert.deepEqual(receivedCounts(sockets), [1, 1, 0]);
    adapter.broadcast(hello, { rooms: new Set(), except: new Set(['s1']) });
    assert.deepEqual(receivedCounts(sockets), [1, 1, 1]);
    adapter.del('s0', 's1');
    assert.deepEqual(adapter.rooms.get('s1'), new Set(['s1']));
  });

  test('random joins and leaves: rooms, sids and broadcasts match a plain two-map model', () => {
    const random = seededRandom(0xada7);
    const { adapter, sockets } = setup(6);
    // The model: what socket.io's in-memory adapter stores, two maps of Sets.
    const rooms = new Map<string, Set<string>>();
    const sids = new Map<string, Set<string>>();
    const join = (id: string, room: string): void => {
      if (!sids.has(id)) sids.set(id, new Set());
      sids.get(id)!.add(room);
      if (!rooms.has(room)) rooms.set(room, new Set());
      rooms.get(room)!.add(id);
    };
    const leave = (id: string, room: string): void => {
      sids.get(id)?.delete(room);
      rooms.get(room)?.delete(id);
      if (rooms.get(room)?.size === 0) rooms.delete(room);
    };
    for (const socket of sockets) join(socket.id, socket.id);
    const ids = sockets.map((s) => s.id);
    const names = [...ids, 'a', 'b', 'c'];
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const sorted = <T>(map: ReadonlyMap<string, ReadonlySet<T>>) =>
      [...map].map(([k, v]) => [k, [...v].sort()] as const).sort((x, y) => (x[0] < y[0] ? -1 : 1));
    for (let step = 0; step < 3000; step++) {
      const id = pick(ids);
      const room = pick(names);
      const action = random();
      if (action < 0.45) {
        adapter.addAll(id, [room]);
        join(id, room);
      } else if (action < 0.9) {
        adapter.del(id, room);
        leave(id, room);
      } else if (action < 0.95) {
        adapter.delAll(id);
        for (const r of sids.get(id) ?? []) leave(id, r);
        sids.delete(id);
      } else {
        const targets = new Set([pick(names), pick(names)]);
        for (const socket of sockets) socket.received.length = 0;
        adapter.broadcast(hello, { rooms: targets });
        const reached = new Set([...targets].flatMap((r) => [...(rooms.get(r) ?? [])]));
        assert.deepEqual(
          sockets.filter((s) => s.received.length > 0).map((s) => s.id),
          ids.filter((i) => reached.has(i)),
          `step ${step}`,
        );
        assert.ok(
          sockets.every((s) => s.received.length <= 1),
          'each socket reached once',
        );
      }
      assert.deepEqual(sorted(adapter.rooms), sorted(rooms), `rooms at step ${step}`);
      assert.deepEqual(sorted(adapter.sids), sorted(sids), `sids at step ${step}`);
      assert.equal(adapter.rooms.size, rooms.size);
      for (const r of names) {
        assert.equal(adapter.rooms.has(r), rooms.has(r));
        assert.deepEqual([...(adapter.rooms.get(r) ?? [])].sort(), [...(rooms.get(r) ?? [])].sort());
      }
    }
  });

  test('broadcastWithAck shares one ack id, reports the recipient count and cancels unanswered acks', () => {
    const { adapter, sockets } = setup(3);
    adapter.addAll('s0', ['r']);
    adapter.addAll('s2', ['r']);
    let count = -1;
    const answers: unknown[] = [];
    const cancel = adapter.broadcastWithAck(
      { type: 'event', nsp: '/', data: ['q'] },
      { rooms: new Set(['r']) },
      (n) => {
        count = n;
      },
      (_err, args) => answers.push(args[0]),
    );
    assert.equal(count, 2);
    const [id] = [...sockets[0]!.acks.keys()];
    assert.equal(typeof id, 'number');
    assert.deepEqual([...sockets[2]!.acks.keys()], [id]);
    sockets[0]!.acks.get(id!)!(null, ['yes']);
    assert.deepEqual(answers, ['yes']);
    cancel();
    assert.equal(sockets[2]!.acks.size, 0);
  });

  test('addSockets, delSockets and disconnectSockets act on the selection only', async () => {
    const { adapter, sockets } = setup(3);
    adapter.addAll('s0', ['r']);
    adapter.addAll('s1', ['r']);
    adapter.addSockets({ rooms: new Set(['r']) }, ['joined']);
    assert.deepEqual([...(await adapter.sockets(new Set(['joined'])))].sort(), ['s0', 's1']);
    adapter.delSockets({ rooms: new Set(['r']), except: new Set(['s1']) }, ['joined']);
    assert.deepEqual([...(await adapter.sockets(new Set(['joined'])))], ['s1']);
    adapter.disconnectSockets({ rooms: new Set(['r']) }, true);
    assert.deepEqual(
      sockets.map((s) => s.disconnected),
      [true, true, undefined],
    );
    assert.equal((await adapter.fetchSockets({ rooms: new Set() })).length, 3);
  });

  test('an encoded packet caches one encoding per wire format', () => {
    let calls = 0;
    const other: WireFormat = {
      name: 'other',
      encode: (prepared) => {
        calls++;
        return socketIoFormat.encode(prepared);
      },
    };
    const encoded = new EncodedPacket(hello);
    const a = encoded.in(socketIoFormat);
    const b = encoded.in(other);
    assert.equal(encoded.in(socketIoFormat), a);
    assert.equal(encoded.in(other), b);
    assert.equal(calls, 1);
  });
});
