import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ChatErrorCode, type ChatValueResult, isChatError } from '../../src/chat/errors.js';
import {
  codePointLength,
  DEFAULT_ROOM,
  HISTORY_PAGE,
  isValidRoom,
  MAX_CONTENT_LENGTH,
  parseHistoryRequest,
  parseLastId,
  parseMessage,
  parseRoomRequest,
  ROOM_PATTERN,
} from '../../src/chat/schema.js';

function value<T>(result: ChatValueResult<T>): T {
  if (!result.ok) assert.fail(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** Asserts a failure with `code` whose message mentions `field`; returns the message. */
function rejects<T>(result: ChatValueResult<T>, code: ChatErrorCode, field: string): string {
  if (result.ok) assert.fail(`expected ${code}, got ok: ${JSON.stringify(result.value)}`);
  assert.equal(result.error.code, code, result.error.message);
  assert.ok(isChatError(result.error));
  assert.ok(result.error.message.includes(field), `message "${result.error.message}" should name ${field}`);
  assert.deepEqual(Object.keys(result).sort(), ['error', 'ok']);
  assert.deepEqual(Object.keys(result.error).sort(), ['code', 'message']);
  return result.error.message;
}

describe('constants', () => {
  test('are the documented values', () => {
    assert.equal(MAX_CONTENT_LENGTH, 4000);
    assert.equal(DEFAULT_ROOM, 'lobby');
    assert.equal(HISTORY_PAGE, 50);
    assert.equal(ROOM_PATTERN.source, '^[a-z0-9_-]{1,64}$');
    assert.ok(isValidRoom(DEFAULT_ROOM));
  });
});

describe('parseMessage', () => {
  test('accepts a text message and defaults the room to lobby', () => {
    assert.deepEqual(value(parseMessage({ type: 'text', content: 'hi' })), {
      type: 'text',
      content: 'hi',
      room: 'lobby',
    });
  });

  test('keeps a valid room', () => {
    assert.equal(value(parseMessage({ type: 'text', content: 'hi', room: 'dev_ops-2' })).room, 'dev_ops-2');
  });

  test('treats a null room as the default room', () => {
    assert.equal(value(parseMessage({ type: 'text', content: 'hi', room: null })).room, 'lobby');
  });

  test('stores content verbatim, without trimming', () => {
    assert.equal(value(parseMessage({ type: 'text', content: '  indented\n' })).content, '  indented\n');
  });

  test('strips unknown fields, so a client cannot choose id, from or ts', () => {
    const parsed = value(
      parseMessage({ type: 'text', content: 'x', id: 1, from: 'admin', ts: 0, extra: { a: 1 } }),
    );
    assert.deepEqual(parsed, { type: 'text', content: 'x', room: 'lobby' });
  });

  test('rejects a missing type', () => {
    const message = rejects(parseMessage({ content: 'hi' }), 'invalid_message', 'type');
    assert.match(message, /required/);
  });

  test('rejects a type other than "text"', () => {
    rejects(parseMessage({ type: 'image', content: 'hi' }), 'invalid_message', 'type');
    rejects(parseMessage({ type: 1, content: 'hi' }), 'invalid_message', 'type');
    rejects(parseMessage({ type: 'TEXT', content: 'hi' }), 'invalid_message', 'type');
  });

  test('rejects a missing content', () => {
    assert.match(rejects(parseMessage({ type: 'text' }), 'invalid_message', 'content'), /required/);
  });

  test('rejects non-string content', () => {
    rejects(parseMessage({ type: 'text', content: 42 }), 'invalid_message', 'content');
    rejects(parseMessage({ type: 'text', content: ['a'] }), 'invalid_message', 'content');
    rejects(parseMessage({ type: 'text', content: null }), 'invalid_message', 'content');
  });

  test('rejects empty content', () => {
    assert.match(rejects(parseMessage({ type: 'text', content: '' }), 'invalid_message', 'content'), /empty/);
  });

  test('rejects whitespace-only content', () => {
    for (const content of [' ', '\n\t  ', '\u00a0\u2003']) {
      assert.match(
        rejects(parseMessage({ type: 'text', content }), 'invalid_message', 'content'),
        /whitespace/,
      );
    }
  });

  test('accepts exactly 4000 characters and rejects 4001', () => {
    assert.ok(parseMessage({ type: 'text', content: 'a'.repeat(4000) }).ok);
    const message = rejects(
      parseMessage({ type: 'text', content: 'a'.repeat(4001) }),
      'invalid_message',
      'content',
    );
    assert.match(message, /at most 4000/);
    assert.match(message, /4001/);
  });

  test('counts length in code points: 4000 emoji (8000 UTF-16 units) are accepted', () => {
    const emoji = '\u{1F600}'.repeat(4000);
    assert.equal(emoji.length, 8000);
    assert.equal(codePointLength(emoji), 4000);
    assert.ok(parseMessage({ type: 'text', content: emoji }).ok);
    rejects(parseMessage({ type: 'text', content: `${emoji}a` }), 'invalid_message', 'content');
  });

  test('rejects very long content without scanning it', () => {
    rejects(parseMessage({ type: 'text', content: 'a'.repeat(1_000_000) }), 'invalid_message', 'content');
  });

  test('rejects content with an unpaired surrogate', () => {
    rejects(parseMessage({ type: 'text', content: 'bad \ud83d here' }), 'invalid_message', 'content');
  });

  test('rejects bad room names with invalid_room', () => {
    const bad: unknown[] = [
      'Lobby',
      'LOBBY',
      'two words',
      ' lobby',
      'a'.repeat(65),
      '',
      'caf\u00e9',
      'a.b',
      'a/b',
    ];
    for (const room of bad) {
      rejects(parseMessage({ type: 'text', content: 'hi', room }), 'invalid_room', 'room');
    }
  });

  test('explains why a room name is bad', () => {
    assert.match(
      rejects(parseMessage({ type: 'text', content: 'x', room: '' }), 'invalid_room', 'room'),
      /empty/,
    );
    assert.match(
      rejects(parseMessage({ type: 'text', content: 'x', room: 'a'.repeat(65) }), 'invalid_room', 'room'),
      /at most 64/,
    );
    assert.match(
      rejects(parseMessage({ type: 'text', content: 'x', room: 'Upper' }), 'invalid_room', 'room'),
      /lowercase/,
    );
  });

  test('accepts a 64-character room name', () => {
    assert.ok(parseMessage({ type: 'text', content: 'hi', room: 'a'.repeat(64) }).ok);
  });

  test('rejects a non-string room', () => {
    for (const room of [1, true, {}, ['lobby']]) {
      assert.match(
        rejects(parseMessage({ type: 'text', content: 'hi', room }), 'invalid_room', 'room'),
        /must be a string/,
      );
    }
  });

  test('rejects payloads that are not objects', () => {
    for (const input of [undefined, null, 'hello', 42, ['text', 'hi']]) {
      rejects(parseMessage(input), 'invalid_message', 'message');
    }
  });

  test('never throws, even on a hostile getter', () => {
    const hostile = {
      type: 'text',
      get content(): string {
        throw new Error('boom');
      },
    };
    const result = parseMessage(hostile);
    assert.equal(result.ok, false);
  });
});

describe('parseRoomRequest', () => {
  test('accepts {room}', () => {
    assert.deepEqual(value(parseRoomRequest({ room: 'general' })), { room: 'general' });
  });

  test('accepts a bare room name', () => {
    assert.deepEqual(value(parseRoomRequest('general')), { room: 'general' });
  });

  test('strips unknown fields', () => {
    assert.deepEqual(value(parseRoomRequest({ room: 'general', x: 1 })), { room: 'general' });
  });

  test('requires the room (no default)', () => {
    assert.match(rejects(parseRoomRequest({}), 'invalid_room', 'room'), /required/);
  });

  test('rejects bad room names, object or bare', () => {
    for (const room of ['Upper', 'with space', 'a'.repeat(65), '']) {
      rejects(parseRoomRequest({ room }), 'invalid_room', 'room');
      rejects(parseRoomRequest(room), 'invalid_room', 'room');
    }
    rejects(parseRoomRequest({ room: 7 }), 'invalid_room', 'room');
  });

  test('rejects payloads of the wrong kind with invalid_request', () => {
    for (const input of [undefined, null, 7, true, ['general']]) {
      rejects(parseRoomRequest(input), 'invalid_request', 'room');
    }
  });
});

describe('parseHistoryRequest', () => {
  test('defaults limit to 50 and leaves before absent', () => {
    const parsed = value(parseHistoryRequest({ room: 'lobby' }));
    assert.equal(parsed.room, 'lobby');
    assert.equal(parsed.limit, 50);
    assert.equal(parsed.before, undefined);
  });

  test('accepts before and limit', () => {
    assert.deepEqual(value(parseHistoryRequest({ room: 'lobby', before: 120, limit: 10 })), {
      room: 'lobby',
      before: 120,
      limit: 10,
    });
  });

  test('treats null before and limit as absent', () => {
    const parsed = value(parseHistoryRequest({ room: 'lobby', before: null, limit: null }));
    assert.equal(parsed.before, undefined);
    assert.equal(parsed.limit, 50);
  });

  test('accepts limit bounds 1 and 100', () => {
    assert.equal(value(parseHistoryRequest({ room: 'lobby', limit: 1 })).limit, 1);
    assert.equal(value(parseHistoryRequest({ room: 'lobby', limit: 100 })).limit, 100);
  });

  test('rejects limit outside 1..100 or not an integer', () => {
    for (const limit of [0, 101, -5, 2.5, '10', Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.match(
        rejects(parseHistoryRequest({ room: 'lobby', limit }), 'invalid_request', 'limit'),
        /1 to 100/,
      );
    }
  });

  test('rejects before that is not a positive integer', () => {
    for (const before of [0, -1, 1.5, '12', 2 ** 60]) {
      rejects(parseHistoryRequest({ room: 'lobby', before }), 'invalid_request', 'before');
    }
  });

  test('requires a valid room', () => {
    rejects(parseHistoryRequest({ limit: 10 }), 'invalid_room', 'room');
    rejects(parseHistoryRequest({ room: 'Nope' }), 'invalid_room', 'room');
  });

  test('rejects payloads that are not objects', () => {
    rejects(parseHistoryRequest('lobby'), 'invalid_request', 'history');
    rejects(parseHistoryRequest(null), 'invalid_request', 'history');
  });
});

describe('parseLastId', () => {
  test('reads lastId from the auth object', () => {
    assert.equal(value(parseLastId({ lastId: 42 })), 42);
    assert.equal(value(parseLastId({ lastId: 0 })), 0);
  });

  test('accepts a decimal string, as from a query string', () => {
    assert.equal(value(parseLastId({ lastId: '17' })), 17);
    assert.equal(value(parseLastId('17')), 17);
  });

  test('accepts the bare value', () => {
    assert.equal(value(parseLastId(5)), 5);
  });

  test('returns null when no lastId was given', () => {
    for (const auth of [undefined, null, {}, { lastId: null }, { other: 1 }, '']) {
      assert.equal(value(parseLastId(auth)), null);
    }
  });

  test('rejects a lastId that is not a non-negative integer', () => {
    for (const lastId of [-1, 1.5, 'abc', '-3', '1e3', true, {}, 2 ** 60]) {
      rejects(parseLastId({ lastId }), 'invalid_request', 'lastId');
    }
  });
});
