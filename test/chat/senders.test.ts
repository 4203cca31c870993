/**
 * Who sent a message, end to end: the cleaned display name is the same string live, in SQLite, in
 * history, in replays, in join acks and in presence; and `fromId` (the sender's socket id) tells
 * apart two senders of the same name. Socket.IO and plain WebSocket clients both.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { RunningChat } from '../../src/chat/server.js';
import type { Member } from '../../src/chat/service.js';
import type { StoredMessage } from '../../src/chat/store.js';
import type { ClientSocket } from '../support/clients.js';
import { assertNoSessions } from '../support/sessions.js';
import { Changes, withTimeout } from '../support/waiting.js';
import { PlainChatClient, socketIoClient, startChat } from './support.js';

const GRINNING = '\u{1F600}';

let chat: RunningChat | undefined;
const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  if (chat) {
    await assertNoSessions(chat.io);
    await chat.close();
    chat = undefined;
  }
});

async function sio(auth: Record<string, unknown>): Promise<ClientSocket> {
  const client = await socketIoClient(chat!, auth);
  closers.push(() => client.disconnect());
  return client;
}

async function plain(query: Record<string, string>): Promise<PlainChatClient> {
  const client = await PlainChatClient.open(chat!, query);
  closers.push(() => client.close());
  return client;
}

/** Every `message` a Socket.IO client receives, kept from the moment it connects. */
async function sioWatcher(
  name: string,
): Promise<{ client: ClientSocket; fromSender(id: string): Promise<StoredMessage> }> {
  const seen: StoredMessage[] = [];
  const changes = new Changes();
  const client = await socketIoClient(chat!, { name }, (c) =>
    c.on('message', (m: StoredMessage) => {
      seen.push(m);
      changes.changed();
    }),
  );
  closers.push(() => client.disconnect());
  return {
    client,
    async fromSender(id) {
      await changes.until(() => seen.some((m) => m.fromId === id), `a message from ${id}`);
      return seen.find((m) => m.fromId === id)!;
    },
  };
}

/** The members a presence event names: a snapshot's list, or a delta's arrivals. */
function presenceMembers(data: unknown): Member[] {
  const event = data as { members?: Member[]; joined?: Member[] };
  return event.members ?? event.joined ?? [];
}

function isPresenceWith(id: string) {
  return (f: { event?: string; data?: unknown }) =>
    f.event === 'presence' && presenceMembers(f.data).some((m) => m.id === id);
}

/** A sender, whichever kind of client: its socket id, and a request/ack round trip. */
interface Sender {
  id: string;
  request(event: string, data: unknown): Promise<Record<string, unknown>>;
  /** Its own copy of the broadcast `message` with this content (call before sending it). */
  ownCopy(content: string): Promise<StoredMessage>;
}

async function sioSender(auth: Record<string, unknown>): Promise<Sender> {
  const client = await sio(auth);
  return {
    id: client.id!,
    request: (event, data) => client.emitWithAck(event, data),
    ownCopy: (content) =>
      withTimeout(
        new Promise<StoredMessage>((resolve) => {
          const listener = (m: StoredMessage) => {
            if (m.content !== content) return;
            client.off('message', listener);
            resolve(m);
          };
          client.on('message', listener);
        }),
        `its own message "${content}"`,
      ),
  };
}

async function plainSender(query: Record<string, string>): Promise<Sender> {
  const client = await plain(query);
  return {
    id: client.id,
    request: (event, data) => client.request(event, data),
    ownCopy: async (content) =>
      (
        await client.take(
          (f) => f.event === 'message' && (f.data as StoredMessage).content === content,
          `its own message "${content}"`,
        )
      ).data as StoredMessage,
  };
}

describe('chat: a display name is cleaned once and is the same string everywhere', () => {
  const cases: { what: string; connect: () => Promise<Sender>; expected: string }[] = [
    {
      what: 'Socket.IO, an emoji across the 32-code-point cut',
      connect: () => sioSender({ name: `${'a'.repeat(31)}${GRINNING}tail` }),
      expected: `${'a'.repeat(31)}${GRINNING}`,
    },
    {
      what: 'Socket.IO, RLO, ZWSP, NUL and ESC',
      connect: () => sioSender({ name: '\u202Eevil\u200B name\u0000\u001b[2J' }),
      expected: 'evil name[2J',
    },
    {
      what: 'Socket.IO, a lone surrogate',
      connect: () => sioSender({ name: '\uD83Dbob' }),
      expected: 'bob',
    },
    {
      what: 'plain WebSocket, an emoji across the 32-code-point cut',
      connect: () => plainSender({ name: `${'b'.repeat(31)}${GRINNING}more` }),
      expected: `${'b'.repeat(31)}${GRINNING}`,
    },
    {
      what: 'plain WebSocket, RLO, ZWSP, NUL, ESC and a line separator',
      connect: () => plainSender({ name: '\u202E\u200Bmal\u2028lory\u0000\u001b' }),
      expected: 'mal lory',
    },
  ];

  for (const { what, connect, expected } of cases) {
    test(`${what}: live broadcast, history, join ack and presence agree`, async () => {
      chat = await startChat();
      const plainWatcher = await plain({ name: 'plain-watcher' });
      const sioWatching = await sioWatcher('sio-watcher');
      const sender = await connect();

      // Presence in the lobby, as the others receive it.
      const presence = await plainWatcher.take(isPresenceWith(sender.id), 'presence with the sender');
      const listed = presenceMembers(presence.data).find((m) => m.id === sender.id);
      assert.equal(listed?.name, expected, 'presence');

      const own = sender.ownCopy('who am I?');
      const ack = await sender.request('message', { type: 'text', content: 'who am I?' });
      assert.equal(ack.ok, true);
      const live = [
        (await plainWatcher.take((f) => f.event === 'message', 'the broadcast')).data as StoredMessage,
        await sioWatching.fromSender(sender.id),
        await own,
      ];
      for (const message of live) {
        assert.equal(message.from, expected, 'live from');
        assert.equal(message.fromId, sender.id, 'live fromId');
        assert.equal(message.id, ack.id);
      }

      const history = await plainWatcher.request('history', { room: 'lobby' });
      const stored = (history.messages as StoredMessage[]).find((m) => m.id === ack.id);
      assert.equal(stored?.from, live[0]!.from, 'history from is byte for byte the live from');
      assert.equal(stored?.fromId, sender.id);
      assert.deepEqual(stored, live[0]);

      const joined = await sender.request('join', { room: 'names' });
      const me = (joined.members as Member[]).find((m) => m.id === sender.id);
      assert.equal(me?.name, expected, 'join ack members');
    });
  }

  test('a name that is not a string, or nothing but invisible characters, gives a guest name', async () => {
    chat = await startChat();
    const watcher = await plain({ name: 'watcher' });
    for (const connect of [
      () => sioSender({ name: 42 }),
      () => sioSender({ name: { first: 'alice' } }),
      () => sioSender({ name: '\u200B\u202E\u0000' }),
      () => plainSender({ name: '\u2066\u200D\u2069' }),
    ]) {
      const sender = await connect();
      const presence = await watcher.take(isPresenceWith(sender.id), 'presence with the sender');
      const listed = presenceMembers(presence.data).find((m) => m.id === sender.id);
      assert.match(listed?.name ?? '', /^guest-\d+$/);
    }
  });

  test('content with a lone surrogate is still refused, and nothing is stored', async () => {
    chat = await startChat();
    const sender = await sioSender({ name: 'alice' });
    const answer = await sender.request('message', { type: 'text', content: 'broken \uD83D' });
    assert.equal(answer.ok, false);
    assert.equal((answer.error as { code: string }).code, 'invalid_message');
    const history = await sender.request('history', { room: 'lobby' });
    assert.deepEqual(history.messages, []);
  });
});

describe('chat: messages carry the sender id, so two senders named alike are told apart', () => {
  test('live, in history (newest page and after), in the join ack and in the lastId replay', async () => {
    chat = await startChat();
    const first = await sioSender({ name: 'sam' });
    const second = await plainSender({ name: 'sam' });
    assert.notEqual(first.id, second.id);
    await first.request('join', { room: 'twins' });
    await second.request('join', { room: 'twins' });

    const fromFirst = first.ownCopy('one');
    const a = await first.request('message', { type: 'text', content: 'one', room: 'twins' });
    const firstLive = await fromFirst;
    const fromSecond = second.ownCopy('two');
    const b = await second.request('message', { type: 'text', content: 'two', room: 'twins' });
    const secondLive = await fromSecond;
    assert.deepEqual(
      [firstLive.from, firstLive.fromId, secondLive.from, secondLive.fromId],
      ['sam', first.id, 'sam', second.id],
    );
    const expected = [
      ['one', first.id],
      ['two', second.id],
    ];
    const senders = (messages: unknown) => (messages as StoredMessage[]).map((m) => [m.content, m.fromId]);

    const newest = await first.request('history', { room: 'twins' });
    assert.deepEqual(senders(newest.messages), expected);
    const after = await first.request('history', { room: 'twins', after: (a.id as number) - 1 });
    assert.deepEqual(senders(after.messages), expected);

    const reader = await plainSender({ name: 'reader' });
    const joined = await reader.request('join', { room: 'twins' });
    assert.deepEqual(senders(joined.history), expected);

    // The replay on reconnect covers the lobby: two messages there, one from each.
    const c = await first.request('message', { type: 'text', content: 'three' });
    await second.request('message', { type: 'text', content: 'four' });
    const back = await plain({ name: 'back', lastId: String((c.id as number) - 1) });
    const replayed = [
      (await back.event('message')) as StoredMessage,
      (await back.event('message')) as StoredMessage,
    ];
    assert.deepEqual(
      replayed.map((m) => [m.content, m.from, m.fromId]),
      [
        ['three', 'sam', first.id],
        ['four', 'sam', second.id],
      ],
    );
    assert.ok((b.id as number) < (c.id as number));
  });
});
