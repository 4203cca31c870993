/**
 * The request-head parser of the engine's own HTTP path (src/engine/http/head.ts): a pure function
 * over bytes. What it accepts must read exactly as node:http reads it (checked against a real
 * node:http server), and everything outside its subset must come back 'foreign' for node:http.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { parseRequestHead, type RequestHead } from '../../src/engine/http/head.js';
import { listenOnLoopback } from '../support/loopback.js';

const MAX = 16 * 1024;

function head(text: string, owns?: (url: string) => boolean): RequestHead {
  const parsed = parseRequestHead(Buffer.from(text, 'latin1'), MAX, owns);
  assert.equal(parsed.kind, 'head', `expected a head for ${JSON.stringify(text)}`);
  return parsed as RequestHead;
}

function kind(text: string, max = MAX): string {
  return parseRequestHead(Buffer.from(text, 'latin1'), max).kind;
}

/** The headers node:http's own parser makes of `raw` (sent to a real server on 127.0.0.1). */
async function nodeHeaders(raw: string): Promise<IncomingHttpHeaders> {
  const server = createServer((req, res) => {
    res.end();
    seen(req.headers);
  });
  let seen!: (headers: IncomingHttpHeaders) => void;
  const headers = new Promise<IncomingHttpHeaders>((resolve) => {
    seen = resolve;
  });
  const socket = connect(await listenOnLoopback(server), '127.0.0.1');
  socket.on('error', () => {});
  socket.write(Buffer.from(raw, 'latin1'));
  try {
    return await headers;
  } finally {
    socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('request heads the engine answers itself', () => {
  test('a polling GET parses into method, target, headers and length', () => {
    const text = 'GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n';
    const h = head(`${text}leftover`);
    assert.equal(h.method, 'GET');
    assert.equal(h.url, '/engine.io/?EIO=4&transport=polling');
    assert.deepEqual({ ...h.headers }, { host: 'a', accept: '*/*' });
    assert.equal(h.contentLength, 0);
    assert.equal(h.close, false);
    assert.equal(h.upgrade, false);
    assert.equal(h.length, text.length);
  });

  test('a POST declares its body length; Connection: close is seen among other tokens', () => {
    const h = head('POST /e/ HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nConnection: Keep-Alive, CLOSE\r\n\r\n');
    assert.equal(h.contentLength, 12);
    assert.equal(h.close, true);
  });

  test('a WebSocket upgrade (GET, Connection: upgrade, Upgrade) is an upgrade head', () => {
    const h = head(
      'GET /e/?EIO=4&transport=websocket HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: x\r\n\r\n',
    );
    assert.equal(h.upgrade, true);
    assert.equal(h.headers['sec-websocket-key'], 'x');
  });

  test('repeated headers combine exactly as node:http combines them', async () => {
    const raw =
      'GET /e/?EIO=4 HTTP/1.1\r\nHost: first\r\nAccept: a\r\naccept: b\r\nCookie: c=1\r\nCOOKIE: d=2\r\n' +
      'Set-Cookie: s=1\r\nSet-Cookie: s=2\r\nUser-Agent: ua1\r\nUser-Agent: ua2\r\nContent-Type: t1\r\n' +
      'Content-Type: t2\r\nX-Custom:   spaced value \t \r\nX-Empty:\r\nX-Latin: caf\xe9\xa0\r\n\r\n';
    assert.deepEqual({ ...head(raw).headers }, { ...(await nodeHeaders(raw)) });
  });

  test('a Connection token beside U+00A0 is no token (node does not take it for space)', () => {
    const h = head('GET /e/ HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, \xa0close\r\n\r\n');
    assert.equal(h.close, false);
  });

  test('field values keep a trailing U+00A0: only spaces and tabs are trimmed', () => {
    assert.equal(head('GET / HTTP/1.1\r\nHost: a\r\nX: \xa0v\xa0 \r\n\r\n').headers.x, '\xa0v\xa0');
  });

  test('a head is incomplete until its blank line, within the size limit', () => {
    assert.equal(kind('GET /e/ HTTP/1.1\r\nHost: a\r\n'), 'incomplete');
    assert.equal(kind('GET /e/ HTTP/1.1\r\nHost: a\r\n'.padEnd(100, 'x'), 64), 'foreign');
    assert.equal(kind('GET /e/ HTTP/1.1\r\nHost: a\r\nX: yyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n\r\n', 40), 'foreign');
  });

  test('a target the engine does not own is foreign', () => {
    const parsed = parseRequestHead(Buffer.from('GET /page HTTP/1.1\r\nHost: a\r\n\r\n'), MAX, (url) =>
      url.startsWith('/e/'),
    );
    assert.equal(parsed.kind, 'foreign');
    assert.equal(head('GET /e/ HTTP/1.1\r\nHost: a\r\n\r\n', (url) => url.startsWith('/e/')).url, '/e/');
  });

  const foreign: [string, string][] = [
    ['HTTP/1.0', 'GET /e/ HTTP/1.0\r\nHost: a\r\n\r\n'],
    ['HEAD', 'HEAD /e/ HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['PUT', 'PUT /e/ HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'],
    ['lower-case method', 'get /e/ HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['absolute-form target', 'GET http://a/e/ HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['extra space in the request line', 'GET  /e/ HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['leading empty line', '\r\nGET /e/ HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['no Host', 'GET /e/ HTTP/1.1\r\nAccept: x\r\n\r\n'],
    ['two Host headers', 'GET /e/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    ['chunked body', 'POST /e/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['Content-Length and Transfer-Encoding', 'POST /e/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['two Content-Lengths', 'POST /e/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n'],
    ['Content-Length not a number', 'POST /e/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\n'],
    ['negative Content-Length', 'POST /e/ HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n'],
    ['Expect', 'POST /e/ HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n'],
    ['folded header line', 'GET /e/ HTTP/1.1\r\nHost: a\r\nX: one\r\n two\r\n\r\n'],
    ['space before the colon', 'GET /e/ HTTP/1.1\r\nHost : a\r\n\r\n'],
    ['line without a colon', 'GET /e/ HTTP/1.1\r\nHost: a\r\nnonsense\r\n\r\n'],
    ['bare LF inside a line', 'GET /e/ HTTP/1.1\r\nHost: a\nX: b\r\n\r\n'],
    ['bare CR inside a value', 'GET /e/ HTTP/1.1\r\nHost: a\rX\r\n\r\n'],
    ['NUL in a value', 'GET /e/ HTTP/1.1\r\nHost: a\0\r\n\r\n'],
    ['control character in the target', 'GET /e/\x01 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['tab in the target', 'GET /e/\t HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['obs-text in the target', 'GET /e/\xe9 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['Upgrade without Connection: upgrade', 'GET /e/ HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n'],
    ['Connection: upgrade without Upgrade', 'GET /e/ HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n'],
    ['an upgrade by POST', 'POST /e/ HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n'],
    ['a tab after an upgrade token', 'GET /e/ HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\t\r\nUpgrade: websocket\r\n\r\n'],
    ['two spaces before a Connection value', 'GET /e/ HTTP/1.1\r\nHost: a\r\nConnection:  close\r\n\r\n'],
    ['a space after a Content-Length value', 'POST /e/ HTTP/1.1\r\nHost: a\r\nContent-Length: 2 \r\n\r\n'],
    ['an upgrade with a body', 'GET /e/ HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 1\r\n\r\n'],
  ];
  for (const [what, text] of foreign) {
    test(`foreign to the engine, left to node:http: ${what}`, () => {
      assert.equal(kind(text), 'foreign');
    });
  }
});
