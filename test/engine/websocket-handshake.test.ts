/**
 * The WebSocket opening handshake (RFC 6455 section 4.2) as the engine answers it: the common case
 * directly, anything else (subprotocols, old versions, invalid requests) through ws. Raw TCP, so
 * the exact answer is visible.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { waitUntil } from '../support/waiting.js';
import { engineStarter, q, wsUrl } from './support.js';

/** Sends a raw upgrade request; resolves with the head of the answer and the first frame bytes after it. */
function rawUpgrade(
  port: number,
  path: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    const finish = (): void => {
      const end = data.indexOf('\r\n\r\n');
      socket.destroy();
      resolve({
        head: data.subarray(0, end === -1 ? data.length : end).toString('latin1'),
        rest: end === -1 ? Buffer.alloc(0) : data.subarray(end + 4),
      });
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      // Enough: the head, and (for a 101) the open packet's frame behind it.
      if (end !== -1 && (!data.subarray(0, 12).toString().includes('101') || data.length > end + 4)) finish();
    });
    socket.on('end', finish);
    socket.on('error', reject);
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${lines.join('')}\r\n`);
  });
}

const UPGRADE = {
  Upgrade: 'websocket',
  Connection: 'Upgrade',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
};

describe('engine websocket handshake', () => {
  const start = engineStarter();

  test('answers 101 with the RFC 6455 accept key, the open packet right behind it', async () => {
    const f = await start();
    const { head, rest } = await rawUpgrade(f.port, `/engine.io/${q('websocket')}`, UPGRADE);
    const lines = head.split('\r\n');
    assert.equal(lines[0], 'HTTP/1.1 101 Switching Protocols');
    // The example of RFC 6455 section 1.3.
    assert.ok(lines.includes('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo='), head);
    assert.ok(lines.some((l) => /^upgrade: websocket$/i.test(l)));
    assert.ok(lines.some((l) => /^connection: upgrade$/i.test(l)));
    // An unmasked text frame carrying the open packet.
    assert.equal(rest[0], 0x81);
    assert.match(rest.subarray(2).toString(), /^0\{"sid":"/);
  });

  test('the cookie option adds Set-Cookie to the 101, also when ws answers the handshake', async () => {
    const f = await start({ cookie: { name: 'eio', sameSite: 'lax' } });
    const path = `/engine.io/${q('websocket')}`;
    const { head } = await rawUpgrade(f.port, path, UPGRADE);
    assert.match(head, /\r\nSet-Cookie: eio=[\w-]+; Path=\/; HttpOnly; SameSite=Lax/);
    // A subprotocol sends the handshake through ws: the cookie line must still be there.
    const viaWs = await rawUpgrade(f.port, path, { ...UPGRADE, 'Sec-WebSocket-Protocol': 'chat' });
    assert.match(viaWs.head, /\r\nSec-WebSocket-Protocol: chat/);
    assert.match(viaWs.head, /\r\nSet-Cookie: eio=[\w-]+; Path=\/; HttpOnly; SameSite=Lax/);
  });

  test('invalid handshakes get ws answers and open no session', async () => {
    const f = await start();
    const path = `/engine.io/${q('websocket')}`;
    const badKey = await rawUpgrade(f.port, path, { ...UPGRADE, 'Sec-WebSocket-Key': 'short' });
    assert.match(badKey.head, /^HTTP\/1.1 400/);
    const badVersion = await rawUpgrade(f.port, path, { ...UPGRADE, 'Sec-WebSocket-Version': '12' });
    assert.match(badVersion.head, /^HTTP\/1.1 400/);
    assert.match(badVersion.head, /Sec-WebSocket-Version: 13, 8/);
    const badUpgrade = await rawUpgrade(f.port, path, { ...UPGRADE, Upgrade: 'h2c' });
    assert.match(badUpgrade.head, /^HTTP\/1.1 400/);
    assert.equal(f.engine.clientsCount, 0);
  });

  test('a requested subprotocol and version 8 go through ws and still open a session', async () => {
    const f = await start();
    const path = `/engine.io/${q('websocket')}`;
    const withProtocol = await rawUpgrade(f.port, path, { ...UPGRADE, 'Sec-WebSocket-Protocol': 'chat, other' });
    assert.match(withProtocol.head, /^HTTP\/1.1 101/);
    assert.match(withProtocol.head, /\r\nSec-WebSocket-Protocol: chat(\r\n|$)/);
    const version8 = await rawUpgrade(f.port, path, { ...UPGRADE, 'Sec-WebSocket-Version': '8' });
    assert.match(version8.head, /^HTTP\/1.1 101/);
    assert.match(version8.head, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
    await waitUntil(() => f.engine.clientsCount === 0, 'both raw clients gone', 3000);
  });

  test('with permessage-deflate on, an offer is negotiated (through ws) and messages flow', async () => {
    const f = await start({ perMessageDeflate: true }, (session) => ({
      onMessage: (data) => void session.send(data),
    }));
    const ws = new WebSocket(wsUrl(f, q('websocket')), { perMessageDeflate: true });
    const opened = new Promise<void>((resolve) => ws.once('upgrade', () => resolve()));
    const echoed = new Promise<string>((resolve) => {
      ws.on('message', (data) => {
        const text = String(data);
        if (text.startsWith('0')) ws.send(`4${'x'.repeat(2000)}`);
        else if (text.startsWith('4')) resolve(text);
      });
    });
    await opened;
    assert.equal(ws.extensions, 'permessage-deflate');
    assert.equal(await echoed, `4${'x'.repeat(2000)}`);
    ws.terminate();
  });
});
