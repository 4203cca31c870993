/**
 * With ownHttp on, bytes that cannot become a request the engine answers itself go to node:http as
 * soon as that is plain, not when a blank line arrives: node answers them (400 and a close, for
 * garbage) as a server without the engine would, at once, on every path. Raw TCP against a real
 * http.Server; the guards only turn a hang into a failure.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../support/random.js';
import { withTimeout } from '../support/waiting.js';
import { getOf, HANDSHAKE, handshake, postOf, RawConnection, type Response, start } from './owned-support.js';

/** Writes `bytes` on `c`; resolves with node's answer once the connection has closed. */
async function answerAndClose(c: RawConnection, bytes: Buffer | string, what: string): Promise<Response> {
  c.write(bytes);
  const answer = await withTimeout(c.response(), what);
  await withTimeout(c.closed, `${what}: close`);
  return answer;
}

function randomBytes(seed: number, length: number): Buffer {
  const next = seededRandom(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
}

const garbage: [string, Buffer][] = [
  // The first bytes of a TLS 1.2 ClientHello record (client speaking HTTPS to an HTTP port).
  ['a TLS ClientHello', Buffer.from('16030100f8010000f40303', 'hex')],
  ['an SSH banner', Buffer.from('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n')],
  ['random bytes', randomBytes(0xbad_5eed, 48)],
  ['a request with bare LF line ends', Buffer.from('GET /e/?EIO=4&transport=polling HTTP/1.1\nHost: t\n\n')],
  ['a lower-case method', Buffer.from('get /e/?EIO=4&transport=polling HTTP/1.1\r\nHost: t\r\n')],
];

describe('bytes that cannot become an engine request go to node:http at once', () => {
  for (const [what, bytes] of garbage) {
    test(`${what}: node answers 400 and closes, and the server serves the next client`, async () => {
      const f = await start();
      const c = await RawConnection.open(f.port);
      const answer = await answerAndClose(c, bytes, what);
      assert.equal(answer.status, 400);
      const d = await RawConnection.open(f.port);
      await handshake(d);
      d.socket.destroy();
    });
  }

  test('a bare LF on a kept-alive engine connection goes to node at once', async () => {
    const f = await start();
    const c = await RawConnection.open(f.port);
    const sid = await handshake(c);
    const answer = await answerAndClose(c, `GET /e/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\nHost`, 'bare LF');
    assert.equal(answer.status, 400);
  });
});

describe("node's own pages on a server with ownHttp on", () => {
  test('methods the engine never answers (HEAD, PUT, DELETE) reach the page handler', async () => {
    const f = await start();
    for (const method of ['PUT', 'DELETE']) {
      const c = await RawConnection.open(f.port);
      c.write(`${method} /page HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n`);
      assert.equal((await withTimeout(c.response(), method)).body, 'page /page');
      c.socket.destroy();
    }
    const c = await RawConnection.open(f.port);
    c.write('HEAD /page HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    await withTimeout(c.closed, 'HEAD');
    assert.equal(f.nodeRequests, 3);
  });

  test('a page request arriving byte by byte is answered by node, then the connection serves the engine', async () => {
    const f = await start();
    const c = await RawConnection.open(f.port);
    for (const byte of Buffer.from('GET /page HTTP/1.1\r\nHost: t\r\n\r\n')) {
      c.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal((await withTimeout(c.response(), 'page')).body, 'page /page');
    // node:http has the connection now, and serves the engine's requests on it as well.
    c.write(HANDSHAKE);
    const open = await withTimeout(c.response(), 'handshake');
    const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
    c.write(postOf(sid, '4via node'));
    assert.equal((await withTimeout(c.response(), 'post')).body, 'ok');
    c.write(getOf(sid));
    assert.equal((await withTimeout(c.response(), 'get')).body, '4via node');
    assert.equal(f.nodeRequests, 4);
    c.socket.destroy();
  });
});
