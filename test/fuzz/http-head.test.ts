/**
 * Differential fuzzing of the engine's request-head parser against node:http's own parser: heads
 * mutated at random (seeded, so a failure replays) are given to both. Whatever the engine would
 * answer itself must be read by node:http as the same request (method, target, headers, upgrade
 * or not); what the engine calls foreign is node's to judge, and nothing may throw. The same heads,
 * split into random chunks and scanned incrementally (as a connection reads them), must come out
 * exactly as the whole buffer does, each byte examined once.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  type HeadParse,
  parseRequestHead,
  type RequestHead,
  readCompleteHead,
  scanHead,
  startHeadScan,
} from '../../src/engine/http/head.js';
import { seededRandom } from '../support/random.js';
import { listenOnLoopback } from '../support/loopback.js';

const MAX = 16 * 1024;

const TEMPLATES = [
  'GET /e/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: h:1\r\nConnection: keep-alive\r\n\r\n',
  'POST /e/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 2\r\nCookie: a=1\r\n\r\n',
  'OPTIONS /e/?EIO=4 HTTP/1.1\r\nHost: h\r\nOrigin: http://x\r\nAccess-Control-Request-Headers: a, b\r\n\r\n',
  'GET /e/?EIO=4&transport=websocket HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
];

const PIECES = ['\r', '\n', '\r\n', ' ', '\t', ':', ',', 'a', 'A', '\0', '\x01', '\x7f', '\xe9', '\xa0', 'Host: x\r\n', 'Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n', 'Connection: close\r\n', 'X: \r\n', '/', '?', '%'];

function mutate(next: () => number, text: string): string {
  let s = text;
  const edits = 1 + Math.floor(next() * 3);
  for (let e = 0; e < edits; e++) {
    // Edits stay inside the head, so its end stays where it was.
    const at = Math.floor(next() * (s.length - 4));
    const kind = next();
    if (kind < 0.4) s = s.slice(0, at) + PIECES[Math.floor(next() * PIECES.length)] + s.slice(at);
    else if (kind < 0.7) s = s.slice(0, at) + s.slice(at + 1);
    else if (kind < 0.85) s = s.slice(0, at) + s.charAt(at).toUpperCase() + s.slice(at + 1);
    else {
      // Repeat one whole line.
      const start = s.lastIndexOf('\r\n', at) + 2;
      const end = s.indexOf('\r\n', start);
      if (start > 1 && end > start) s = s.slice(0, end + 2) + s.slice(start, end + 2) + s.slice(end + 2);
    }
  }
  return s;
}

interface NodeView {
  kind: 'request' | 'upgrade' | 'error';
  method?: string;
  url?: string;
  headers?: IncomingHttpHeaders;
}

describe('request heads: the engine parser agrees with node:http', () => {
  const server = createServer();
  let port = 0;
  // What node made of each connection's bytes, by the client's port.
  const waiting = new Map<number, (view: NodeView) => void>();
  const seen = (clientPort: number | undefined, view: NodeView): void => {
    const resolve = waiting.get(clientPort ?? -1);
    waiting.delete(clientPort ?? -1);
    resolve?.(view);
  };
  server.on('request', (req: IncomingMessage, res) => {
    seen(req.socket.remotePort, { kind: 'request', method: req.method, url: req.url, headers: req.headers });
    res.destroy();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    seen(socket.remotePort, { kind: 'upgrade', method: req.method, url: req.url, headers: req.headers });
    socket.destroy();
  });
  server.on('clientError', (_err, socket: Socket) => {
    seen(socket.remotePort, { kind: 'error' });
    socket.destroy();
  });

  before(async () => {
    port = await listenOnLoopback(server);
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function nodeView(bytes: Buffer): Promise<NodeView> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        const clientPort = socket.localPort ?? -1;
        waiting.set(clientPort, resolve);
        socket.on('close', () => seen(clientPort, { kind: 'error' }));
        socket.end(bytes);
      });
      socket.on('error', () => {});
    });
  }

  test('3000 mutated heads: every head the engine takes reads the same to node:http', async () => {
    const next = seededRandom(0x5eed_4ead);
    let taken = 0;
    for (let i = 0; i < 3000; i++) {
      const text = mutate(next, TEMPLATES[i % TEMPLATES.length]!);
      const bytes = Buffer.from(text, 'latin1');
      const parsed = parseRequestHead(bytes, MAX);
      if (parsed.kind !== 'head') continue;
      taken++;
      const head = parsed as RequestHead;
      const view = await nodeView(bytes);
      const where = `case ${i}: ${JSON.stringify(text)}`;
      assert.equal(view.kind, head.upgrade ? 'upgrade' : 'request', where);
      assert.equal(view.method, head.method, where);
      assert.equal(view.url, head.url, where);
      assert.deepEqual({ ...head.headers }, { ...view.headers }, where);
    }
    // The mutations keep a fair share of heads inside the subset, so the comparison is exercised.
    assert.ok(taken > 500, `only ${taken} heads taken`);
  });
});

/** `bytes` cut into random chunks (1 byte to the whole), scanned as a connection scans them. */
function parseInChunks(next: () => number, bytes: Buffer): { parse: HeadParse; examined: number; fed: number } {
  const scan = startHeadScan();
  let fed = 0;
  let status = scanHead(scan, bytes.subarray(0, 0), MAX);
  while (fed < bytes.length && status === 'more') {
    const size = next() < 0.5 ? 1 + Math.floor(next() * 4) : 1 + Math.floor(next() * bytes.length);
    status = scanHead(scan, bytes.subarray(fed, fed + size), MAX);
    fed += Math.min(size, bytes.length - fed);
  }
  const parse: HeadParse =
    status === 'complete'
      ? readCompleteHead(bytes, scan.examined)
      : status === 'foreign'
        ? { kind: 'foreign' }
        : { kind: 'incomplete' };
  return { parse, examined: scan.examined, fed };
}

describe('request heads scanned in random chunks read as the whole buffer does', () => {
  test('3000 mutated heads and their prefixes, each split at random', () => {
    const next = seededRandom(0xc4_0b5e);
    const kinds = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const text = mutate(next, TEMPLATES[i % TEMPLATES.length]!);
      // Whole heads with a body or a pipelined request after them, and cut-off heads.
      const cut = next() < 0.3 ? Math.floor(next() * text.length) : text.length;
      const bytes = Buffer.from(`${text.slice(0, cut)}${cut === text.length ? 'GET /next' : ''}`, 'latin1');
      const whole = parseRequestHead(bytes, MAX);
      const split = parseInChunks(next, bytes);
      const where = `case ${i}: ${JSON.stringify(bytes.toString('latin1'))}`;
      assert.deepEqual(split.parse, whole, where);
      // No byte is examined twice, nor any after the head's end.
      assert.ok(split.examined <= split.fed, where);
      if (whole.kind === 'head') assert.equal(split.examined, (whole as RequestHead).length, where);
      kinds.set(whole.kind, (kinds.get(whole.kind) ?? 0) + 1);
    }
    // Every outcome is exercised.
    for (const kind of ['head', 'foreign', 'incomplete']) assert.ok((kinds.get(kind) ?? 0) > 100, `${kind}: ${kinds.get(kind)}`);
  });
});
