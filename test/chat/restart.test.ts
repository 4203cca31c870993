/** Messages survive a restart on the same db file, and a client catches up from its last id. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { StoredMessage } from '../../src/chat/store.js';
import { assertNoSessions } from '../support/sessions.js';
import { PlainChatClient, socketIoClient, startChat } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-chat-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('after a restart on the same db file, history is kept, ids go on, and lastId replays what was missed', async () => {
  const db = join(dir, 'nested', 'chat.db');
  const first = await startChat({ db });
  assert.ok(existsSync(db), 'the db folder and file are created');
  const writer = await socketIoClient(first, { name: 'writer' });
  const seen = await writer.emitWithAck('message', { type: 'text', content: 'before restart' });
  const missed = await writer.emitWithAck('message', { type: 'text', content: 'missed' });
  writer.disconnect();
  await assertNoSessions(first.io);
  await first.close();

  const second = await startChat({ db });
  try {
    const reader = await PlainChatClient.open(second, { name: 'reader', lastId: String(seen.id) });
    const replayed = (await reader.event('message')) as StoredMessage;
    assert.equal(replayed.content, 'missed');
    assert.equal(replayed.id, missed.id);
    const history = await reader.request('history', { room: 'lobby' });
    assert.deepEqual(
      (history.messages as StoredMessage[]).map((m) => m.content),
      ['before restart', 'missed'],
    );
    const next = await reader.request('message', { type: 'text', content: 'after restart' });
    assert.ok((next.id as number) > missed.id, 'ids keep increasing across restarts');
    await reader.close();
    await assertNoSessions(second.io);
  } finally {
    await second.close();
  }
});
