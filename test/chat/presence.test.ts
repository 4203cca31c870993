/**
 * Presence: a snapshot once to the joiner, coalesced deltas to the room. On its own (the Presence
 * class on mocked timers), then with a crowd of real clients, whose views must all end right while
 * the traffic grows with the square of the crowd, not its cube.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, mock, test } from 'node:test';
import { Presence, type PresenceDelta } from '../../src/chat/presence.js';
import type { RunningChat } from '../../src/chat/server.js';
import { assertNoSessions } from '../support/sessions.js';
import { withTimeout } from '../support/waiting.js';
import { MemberView, PlainChatClient, startChat } from './support.js';

const alice = { id: 'a', name: 'alice' };
const bob = { id: 'b', name: 'bob' };
const carol = { id: 'c', name: 'carol' };

function presenceOn(listLimit = 100) {
  const sent: PresenceDelta[] = [];
  const presence = new Presence({ windowMs: 100, listLimit, announce: (d) => sent.push(d) });
  return { presence, sent };
}

describe('Presence', () => {
  afterEach(() => mock.timers.reset());

  test('changes within a window go out as one delta per room, after the window', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { presence, sent } = presenceOn();
    presence.join('lobby', alice);
    presence.join('lobby', bob);
    presence.join('dev', carol);
    mock.timers.tick(99);
    assert.equal(sent.length, 0);
    mock.timers.tick(1);
    assert.deepEqual(sent, [
      { room: 'lobby', joined: [alice, bob], left: [], count: 2 },
      { room: 'dev', joined: [carol], left: [], count: 1 },
    ]);
  });

  test('a member who joined and left within one window is reported as left (a snapshot between may list it)', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { presence, sent } = presenceOn();
    presence.join('lobby', alice);
    mock.timers.tick(100);
    presence.join('lobby', bob);
    const between = presence.snapshot('lobby');
    presence.leave('lobby', bob);
    mock.timers.tick(100);
    assert.deepEqual(between.members, [alice, bob]);
    assert.deepEqual(sent.at(-1), { room: 'lobby', joined: [], left: [bob], count: 1 });
  });

  test('joining twice or leaving a room one is not in changes nothing', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { presence, sent } = presenceOn();
    assert.equal(presence.join('lobby', alice), true);
    mock.timers.tick(100);
    assert.equal(presence.join('lobby', alice), false);
    assert.equal(presence.leave('dev', alice), false);
    mock.timers.tick(100);
    assert.equal(sent.length, 1);
  });

  test('a snapshot lists members in order of arrival up to the display limit, and counts them all', () => {
    const { presence } = presenceOn(2);
    for (const m of [alice, bob, carol]) presence.join('lobby', m);
    assert.deepEqual(presence.snapshot('lobby'), { room: 'lobby', members: [alice, bob], count: 3 });
    assert.deepEqual(presence.snapshot('empty'), { room: 'empty', members: [], count: 0 });
    presence.stop();
  });
});

describe('Presence with a display limit', () => {
  afterEach(() => mock.timers.reset());

  test('beyond the limit, members are counted, not listed; a listed one leaving moves the next one up', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { presence, sent } = presenceOn(2);
    for (const m of [alice, bob, carol]) presence.join('lobby', m);
    mock.timers.tick(100);
    assert.deepEqual(sent.at(-1), { room: 'lobby', joined: [alice, bob], left: [], count: 3 });
    presence.leave('lobby', alice);
    mock.timers.tick(100);
    assert.deepEqual(sent.at(-1), { room: 'lobby', joined: [carol], left: [alice], count: 2 });
    presence.join('lobby', alice);
    mock.timers.tick(100);
    assert.deepEqual(sent.at(-1), { room: 'lobby', joined: [], left: [], count: 3 }, 'alice is third now: counted');
    presence.leave('lobby', alice);
    mock.timers.tick(100);
    assert.deepEqual(sent.at(-1), { room: 'lobby', joined: [], left: [], count: 2 });
  });

  test('any mix of arrivals, departures and snapshots: every view following the deltas holds the listed members', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const limit = 4;
    const { presence, sent } = presenceOn(limit);
    const present = new Set<string>();
    /** Views of clients that took a snapshot, updated with every delta since. */
    const views: Map<string, string>[] = [];
    let applied = 0;
    for (let step = 0; step < 3000; step++) {
      const id = `m${random(10)}`;
      const action = random(10);
      if (action < 4) {
        if (presence.join('room', { id, name: id })) present.add(id);
      } else if (action < 8) {
        if (presence.leave('room', { id, name: id })) present.delete(id);
      } else if (action === 8) {
        views.push(new Map(presence.snapshot('room').members.map((m) => [m.id, m.name])));
      } else {
        mock.timers.tick(100);
        for (const delta of sent.slice(applied)) {
          for (const view of views) {
            for (const m of delta.left) view.delete(m.id);
            for (const m of delta.joined) view.set(m.id, m.name);
          }
        }
        applied = sent.length;
        const listed = presence.snapshot('room').members.map((m) => m.id).sort();
        for (const view of views) assert.deepEqual([...view.keys()].sort(), listed, `step ${step}`);
        assert.equal(sent.at(-1)?.count ?? present.size, present.size);
        views.splice(0, Math.max(0, views.length - 20));
      }
    }
    presence.stop();
  });
});

describe('presence with a crowd', () => {
  let chat: RunningChat | undefined;
  const clients: PlainChatClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    if (chat) {
      await assertNoSessions(chat.io);
      await chat.close();
      chat = undefined;
    }
  });

  test('a crowd joining a room together: every view ends right, in a few events, in square not cubic traffic', async () => {
    const N = 80;
    chat = await startChat({ maxConnections: N + 10 });
    const views: MemberView[] = [];
    const bytes = { presence: 0, acks: 0 };
    const opened = await Promise.all(
      Array.from({ length: N }, (_, i) => PlainChatClient.open(chat!, { name: `user-${i}` })),
    );
    for (const client of opened) {
      clients.push(client);
      views.push(MemberView.ofPlain(client));
      client.ws.on('message', (data, isBinary) => {
        if (!isBinary && data.toString().startsWith('{"event":"presence"')) bytes.presence += (data as Buffer).length;
      });
    }
    // Everyone asks to join at once; each applies its own snapshot from the ack.
    const acks = await Promise.all(clients.map((c) => c.request('join', { room: 'crowd' })));
    acks.forEach((ack, i) => {
      bytes.acks += JSON.stringify(ack.members).length;
      views[i]!.apply({ room: 'crowd', members: ack.members as { id: string; name: string }[], count: ack.count as number });
    });
    const everyone = clients.map((_, i) => `user-${i}`).sort();
    await withTimeout(
      Promise.all(views.map((v) => v.until((view) => view.names('crowd').join() === everyone.join(), 'a full view'))),
      'every view of the crowd to be complete',
    );
    const crowdEvents = Math.max(...views.map((v) => v.events.filter((e) => e.room === 'crowd').length));
    assert.ok(crowdEvents <= 1 + 4, `a client saw ${crowdEvents} presence events for the crowd room`);
    assert.ok(views.every((v) => v.counts.get('crowd') === N));
    // Two rooms (the lobby on connect, then the crowd). Full lists to everyone on every arrival
    // would be about N³/6 member entries per room (N³/3 ≈ 27 N² in all here); deltas tell each
    // arrival once to at most N members, and each snapshot lists at most N: at most 3 N² entries.
    const entries = (bytes.presence + bytes.acks) / 40;
    assert.ok(entries < 4 * N * N, `${bytes.presence + bytes.acks} bytes of presence: ${Math.round(entries)} entries`);

    // Half leave together: the others' views follow.
    const leaving = clients.splice(0, N / 2);
    await Promise.all(leaving.map((c) => c.close()));
    const staying = clients.map((_, i) => `user-${i + N / 2}`).sort().join();
    await withTimeout(
      Promise.all(views.slice(N / 2).map((v) => v.until((view) => view.names('crowd').join() === staying, 'the rest'))),
      'the views to follow the departures',
    );
  });
});
