/**
 * The MUSTs of the Socket.IO v5 spec (../shared/specs/socket.io-protocol-v5.md), checked with raw
 * frames against `npm run example:echo` started as its own process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type OpenPayload, WsClient } from '../support/raw-clients.js';
import { withTimeout } from '../support/waiting.js';
import { type ExampleProcess, startExample } from '../support/processes.js';

let server: ExampleProcess;
let url: string;

before(async () => {
  server = await startExample('echo');
  url = `ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`;
});

after(async () => {
  await server.stop();
});

/** A websocket-only session of the example, its open packet read; pings are answered as they come. */
function open(): Promise<{ client: WsClient; open: OpenPayload }> {
  return WsClient.handshake(url, { answerPings: true });
}

/** Resolves once the server has closed the connection. */
function closedByServer(socket: WsClient, timeoutMs?: number): Promise<unknown> {
  return withTimeout(socket.closed, 'the server to close the connection', timeoutMs);
}

async function connected(nsp = '/', auth?: object): Promise<{ socket: WsClient; sid: string }> {
  const { client: socket } = await open();
  const prefix = nsp === '/' ? '' : `${nsp},`;
  socket.send(`40${prefix}${auth ? JSON.stringify(auth) : ''}`);
  const reply = await socket.next();
  assert.equal(typeof reply, 'string');
  const match = new RegExp(`^40${prefix}(\\{.*\\})$`).exec(reply as string);
  assert.ok(match, `expected a CONNECT reply, got ${reply}`);
  const sid = JSON.parse(match[1]!).sid;
  assert.equal(typeof sid, 'string');
  return { socket, sid };
}

describe('Socket.IO v5 conformance against the echo example', () => {
  test('the handshake advertises the example timings and payload limit', async () => {
    const { client: socket, open: handshake } = await open();
    assert.equal(handshake.pingInterval, 300);
    assert.equal(handshake.pingTimeout, 200);
    assert.equal(handshake.maxPayload, 1_000_000);
    socket.close();
  });

  test('CONNECT to the main namespace is answered with a sid, then the auth event', async () => {
    const { socket } = await connected('/', { token: 'abc' });
    assert.equal(await socket.next(), '42["auth",{"token":"abc"}]');
    socket.close();
  });

  test('CONNECT to a custom namespace names it in the reply', async () => {
    const { socket } = await connected('/custom');
    assert.equal(await socket.next(), '42/custom,["auth",{}]');
    socket.close();
  });

  test('CONNECT to an unknown namespace is answered with CONNECT_ERROR and the session stays usable', async () => {
    const { client: socket } = await open();
    socket.send('40/nowhere,');
    assert.equal(await socket.next(), '44/nowhere,{"message":"Invalid namespace"}');
    socket.send('40');
    assert.match((await socket.next()) as string, /^40\{"sid":"[^"]+"\}$/);
    socket.close();
  });

  test('an EVENT is echoed and an EVENT with an id gets an ACK with the same id', async () => {
    const { socket } = await connected();
    await socket.next(); // auth
    socket.send('42["message",1,"two",{"three":[3]}]');
    assert.equal(await socket.next(), '42["message-back",1,"two",{"three":[3]}]');
    socket.send('4217["message-with-ack","x",null]');
    assert.equal(await socket.next(), '4317["x",null]');
    socket.close();
  });

  test('a BINARY_EVENT is reassembled and echoed with its attachment', async () => {
    const { socket } = await connected();
    await socket.next();
    socket.send('451-["message",{"_placeholder":true,"num":0}]');
    socket.send(Buffer.from([1, 2, 3]));
    assert.equal(await socket.next(), '451-["message-back",{"_placeholder":true,"num":0}]');
    assert.deepEqual(await socket.next(), Buffer.from([1, 2, 3]));
    // The ack of a binary event carries the binary back as BINARY_ACK.
    socket.send('451-12["message-with-ack",{"_placeholder":true,"num":0}]');
    socket.send(Buffer.from([7]));
    assert.equal(await socket.next(), '461-12[{"_placeholder":true,"num":0}]');
    assert.deepEqual(await socket.next(), Buffer.from([7]));
    socket.close();
  });

  test('an EVENT whose payload is not a non-empty array closes the connection', async () => {
    const { socket } = await connected();
    await socket.next();
    socket.send('42{"not":"an array"}');
    await closedByServer(socket);
  });

  test('a packet before any CONNECT closes the connection', async () => {
    const { client: socket } = await open();
    socket.send('42["message","too early"]');
    await closedByServer(socket);
  });

  test('a session that never sends CONNECT is closed after connectTimeout', async () => {
    // Timed from before the session exists: its connectTimeout (1000 ms) cannot end sooner.
    const started = Date.now();
    const { client: socket } = await open();
    await closedByServer(socket, 5000);
    assert.ok(Date.now() - started >= 1000 - 2, 'closed before connectTimeout');
  });

  test('DISCONNECT leaves the namespace and a new CONNECT gets a new sid', async () => {
    const first = await connected();
    await first.socket.next();
    first.socket.send('41');
    first.socket.send('40');
    const reply = (await first.socket.next()) as string;
    const sid = JSON.parse(reply.slice(2)).sid;
    assert.notEqual(sid, first.sid);
    first.socket.close();
  });

  test('garbage text frames close the session instead of crashing the server', async () => {
    const { socket } = await connected();
    socket.send('4\u0000\u0001garbage');
    await closedByServer(socket);
    const again = await connected();
    again.socket.close();
  });
});
