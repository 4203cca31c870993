/**
 * The answers of the engine's own HTTP path as bytes (src/engine/http/answer.ts): status line,
 * header lines as given, Content-Length in bytes, Date, keep-alive or close; invalid headers
 * refused; shared short answers reused; deadlines never early.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closingAnswer, deadlineIn, encodeResponse } from '../../src/engine/http/answer.js';

function text(bytes: Buffer | undefined): string {
  assert.ok(bytes !== undefined, 'an answer');
  return bytes.toString('latin1');
}

describe('answers of the engine’s HTTP path', () => {
  test('a keep-alive answer: status line, the given headers in order, length, date, keep-alive', () => {
    const answer = text(encodeResponse(200, { 'Content-Type': 'text/plain', 'X-Two': ['a', 'b'] }, 'é!', false, 5));
    const [head, body] = answer.split('\r\n\r\n');
    const lines = head!.split('\r\n');
    assert.equal(lines[0], 'HTTP/1.1 200 OK');
    assert.deepEqual(lines.slice(1, 4), ['Content-Type: text/plain', 'X-Two: a', 'X-Two: b']);
    assert.equal(lines[4], 'Content-Length: 3');
    assert.match(lines[5]!, /^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.ok(Math.abs(Date.parse(lines[5]!.slice(6)) - Date.now()) < 2000);
    assert.deepEqual(lines.slice(6), ['Connection: keep-alive', 'Keep-Alive: timeout=5']);
    assert.equal(Buffer.from(body!, 'latin1').toString('utf8'), 'é!');
  });

  test('a closing answer says Connection: close; no keep-alive timeout means no Keep-Alive line', () => {
    const closing = text(encodeResponse(413, {}, '', true, 5));
    assert.match(closing, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
    assert.match(closing, /\r\nConnection: close\r\n\r\n$/);
    assert.doesNotMatch(closing, /Keep-Alive/);
    assert.doesNotMatch(text(encodeResponse(204, {}, '', false, 0)), /Keep-Alive/);
  });

  test('header values are written as latin1 bytes, as node:http writes them', () => {
    const bytes = encodeResponse(200, { 'X-Name': 'caf\xe9' }, '', false, 5)!;
    const at = bytes.indexOf('X-Name: ');
    assert.deepEqual([...bytes.subarray(at + 8, at + 12)], [0x63, 0x61, 0x66, 0xe9]);
  });

  test('a header value or name that could split the head gets no answer', () => {
    assert.equal(encodeResponse(200, { 'X-Evil': 'a\r\nInjected: 1' }, '', false, 5), undefined);
    assert.equal(encodeResponse(200, { 'X-Evil': 'a\nb' }, '', false, 5), undefined);
    assert.equal(encodeResponse(200, { 'Bad Name': 'x' }, '', false, 5), undefined);
    assert.equal(encodeResponse(200, Object.freeze({ 'X-Evil': ['ok', 'a\rb'] }), '', false, 5), undefined);
  });

  test('short answers with shared (frozen) headers are the same bytes; others are built each time', () => {
    const shared = Object.freeze({ 'Content-Type': 'text/html' });
    const first = encodeResponse(200, shared, 'ok', false, 5);
    const again = encodeResponse(200, shared, 'ok', false, 5);
    // Unless the second changed in between, which the Date line shows.
    if (text(first).split('\r\n')[3] === text(again).split('\r\n')[3]) assert.equal(again, first);
    assert.notEqual(encodeResponse(200, shared, 'ko', false, 5), first);
    assert.notEqual(encodeResponse(200, shared, 'ok', true, 5), first);
    const own = { 'Content-Type': 'text/html' };
    assert.notEqual(encodeResponse(200, own, 'ok', false, 5), encodeResponse(200, own, 'ok', false, 5));
  });

  test('deadlines are never early and at most two seconds late; 0 means none', () => {
    assert.equal(deadlineIn(0), 0);
    const before = Date.now();
    const deadline = deadlineIn(5000);
    const after = Date.now();
    assert.ok(deadline >= before + 5000, `deadline ${deadline - before} ms ahead`);
    assert.ok(deadline <= after + 7000, `deadline ${deadline - after} ms ahead`);
  });
});

describe('closing answers (refusals, 408, 500)', () => {
  test('status text from node’s table, the content type and body given, Connection: close', () => {
    const answer = text(closingAnswer(403, 'application/json', '{"code":4}'));
    assert.match(answer, /^HTTP\/1\.1 403 Forbidden\r\nContent-Type: application\/json\r\nContent-Length: 10\r\nDate: .+ GMT\r\nConnection: close\r\n\r\n\{"code":4\}$/);
    assert.match(text(closingAnswer(408)), /^HTTP\/1\.1 408 Request Timeout\r\nContent-Length: 0\r\nDate: .+\r\nConnection: close\r\n\r\n$/);
  });
});
