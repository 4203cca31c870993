/** Every way a chat request is refused: a typed error, never a crash, and the connection stays usable. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import type { RunningChat } from '../../src/chat/server.js';
import { assertNoSessions } from '../support/sessions.js';
import { PlainChatClient, socketIoClient, startChat } from './support.js';

let chat: RunningChat | undefined;
const clients: { close(): unknown }[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  if (chat) {
    await assertNoSessions(chat.io);
    await chat.close();
    chat = undefined;
  }
});

async function sio(options: Parameters<typeof startChat>[0] = {}): Promise<ClientSocket> {
  chat ??= await startChat(options);
  const client = await socketIoClient(chat, { name: 'tester' });
  clients.push(client);
  return client;
}

async function plain(options: Parameters<typeof startChat>[0] = {}): Promise<PlainChatClient> {
  chat ??= await startChat(options);
  const client = await PlainChatClient.open(chat, { name: 'tester' });
  clients.push(client);
  return client;
}

const refusals: [string, string, unknown, string][] = [
  ['message', 'a missing type', { content: 'x' }, 'invalid_message'],
  ['message', 'a type other than text', { type: 'image', content: 'x' }, 'invalid_message'],
  ['message', 'empty content', { type: 'text', content: '' }, 'invalid_message'],
  ['message', 'whitespace-only content', { type: 'text', content: '   ' }, 'invalid_message'],
  ['message', 'content over 4000 characters', { type: 'text', content: 'x'.repeat(4001) }, 'invalid_message'],
  ['message', 'content that is not a string', { type: 'text', content: 42 }, 'invalid_message'],
  ['message', 'a payload that is not an object', 'hello', 'invalid_message'],
  ['message', 'an invalid room name', { type: 'text', content: 'x', room: 'Not Valid' }, 'invalid_room'],
  ['message', 'a room not joined', { type: 'text', content: 'x', room: 'elsewhere' }, 'not_in_room'],
  ['join', 'an upper-case room', { room: 'Dev' }, 'invalid_room'],
  ['join', 'a 65-character room', { room: 'a'.repeat(65) }, 'invalid_room'],
  ['join', 'no room at all', {}, 'invalid_room'],
  ['leave', 'a room not joined', { room: 'never' }, 'not_in_room'],
  ['history', 'a room not joined', { room: 'never' }, 'not_in_room'],
  ['history', 'a limit over 100', { room: 'lobby', limit: 101 }, 'invalid_request'],
  ['history', 'both before and after', { room: 'lobby', before: 5, after: 1 }, 'invalid_request'],
  ['typing', 'a room not joined', { room: 'never' }, 'not_in_room'],
  ['shout', 'an unknown event', { loud: true }, 'invalid_request'],
];

describe('chat refusals over Socket.IO: the ack carries {ok:false, error:{code, message}}', () => {
  for (const [event, what, payload, code] of refusals) {
    test(`${event} with ${what} is refused with ${code}`, async () => {
      const client = await sio();
      const answer = await client.timeout(2000).emitWithAck(event, payload);
      assert.equal(answer.ok, false);
      assert.equal(answer.error.code, code);
      assert.equal(typeof answer.error.message, 'string');
      assert.ok(answer.error.message.length > 0);
      // The connection is still usable afterwards.
      assert.equal((await client.emitWithAck('message', { type: 'text', content: 'still here' })).ok, true);
    });
  }
});

describe('chat refusals over plain WebSocket', () => {
  for (const [event, what, payload, code] of refusals) {
    test(`${event} with ${what} is refused with ${code} in the ack`, async () => {
      const client = await plain();
      const answer = await client.request(event, payload);
      assert.equal(answer.ok, false);
      assert.equal((answer.error as { code: string }).code, code);
    });
  }

  test('a refused message sent without an id is answered by an error frame, and the next one goes through', async () => {
    const client = await plain();
    client.send({ type: 'text', content: '' });
    const error = (await client.event('error')) as { code: string; message: string };
    assert.equal(error.code, 'invalid_message');
    client.send({ type: 'text', content: 'fine' });
    assert.equal(((await client.event('message')) as { content: string }).content, 'fine');
  });

  test('a binary frame is not a chat message: error frame, connection kept', async () => {
    const client = await plain();
    client.ws.send(Buffer.from([1, 2, 3]));
    assert.equal(((await client.event('error')) as { code: string }).code, 'invalid_message');
    assert.equal((await client.request('message', { type: 'text', content: 'after binary' })).ok, true);
  });

  test('a frame that is not JSON gets the protocol error frame and the chat goes on', async () => {
    const client = await plain();
    client.ws.send('{not json');
    assert.equal(((await client.event('error')) as { code: string }).code, 'invalid_json');
    assert.equal((await client.request('message', { type: 'text', content: 'after garbage' })).ok, true);
  });
});

describe('chat rate limit', () => {
  test('messages over the per-connection limit are refused with rate_limited, for both kinds of client', async () => {
    const client = await sio({ rateLimit: 3 });
    for (let i = 0; i < 3; i++) {
      assert.equal((await client.emitWithAck('message', { type: 'text', content: `m${i}` })).ok, true);
    }
    const refused = await client.emitWithAck('message', { type: 'text', content: 'one too many' });
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, 'rate_limited');

    // The limit is per connection: a plain client on the same server has its own budget.
    const other = await plain();
    for (let i = 0; i < 3; i++) assert.equal((await other.request('message', { type: 'text', content: 'p' })).ok, true);
    const plainRefused = await other.request('message', { type: 'text', content: 'p' });
    assert.equal((plainRefused.error as { code: string }).code, 'rate_limited');
  });

  test('typing notices have their own budget: a flood is refused with rate_limited, messages still go', async () => {
    const client = await sio();
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await client.emitWithAck('typing', { room: 'lobby' }));
    assert.equal(answers.slice(0, 10).every((a) => a.ok), true);
    assert.equal(answers[10].error.code, 'rate_limited');
    assert.equal((await client.emitWithAck('message', { type: 'text', content: 'still allowed' })).ok, true);
  });

  test('a refused message is neither stored nor broadcast', async () => {
    const client = await sio({ rateLimit: 1 });
    const seen: string[] = [];
    client.on('message', (m: { content: string }) => seen.push(m.content));
    await client.emitWithAck('message', { type: 'text', content: 'kept' });
    await client.emitWithAck('message', { type: 'text', content: 'dropped' });
    const history = await client.emitWithAck('history', { room: 'lobby' });
    assert.deepEqual(
      history.messages.map((m: { content: string }) => m.content),
      ['kept'],
    );
    // A broadcast of 'dropped' would have come before the history answer on the same connection.
    assert.deepEqual(seen, ['kept']);
  });
});
