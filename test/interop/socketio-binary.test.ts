/**
 * Interop: binary payloads (Buffer / Uint8Array) between official socket.io-client and the server under
 * test — as arguments, nested in objects and arrays, in acknowledgements, in broadcasts.
 *
 * On the server (Node), socket.io 4.8 hands received binary to handlers as `Buffer`. What the client
 * receives depends on the client's binaryType (a Node client gets Buffers or ArrayBuffers), so the client
 * side only checks that a value is binary and has the right bytes.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  cleanup,
  connectClient,
  connectedPair,
  deferred,
  forEachTransport,
  startServer,
  waitFor,
  waitForArgs,
} from '../support/fixtures.js';

afterEach(cleanup);

function bytes(length: number, seed = 1): Buffer {
  const buf = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buf[i] = (i * 31 + seed) & 0xff;
  return buf;
}

/** Asserts `value` is binary (Buffer, typed array or ArrayBuffer) holding exactly `expected`. */
function assertBinary(value: unknown, expected: Uint8Array, where: string): void {
  let view: Uint8Array;
  if (value instanceof ArrayBuffer) view = new Uint8Array(value);
  else if (ArrayBuffer.isView(value)) view = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  else assert.fail(`${where}: expected binary, got ${Object.prototype.toString.call(value)}`);
  assert.ok(Buffer.from(view).equals(Buffer.from(expected)), `${where}: bytes differ`);
}

/** Asserts a server-side received value is a Buffer with the given bytes. */
function assertServerBuffer(value: unknown, expected: Uint8Array, where: string): void {
  assert.ok(Buffer.isBuffer(value), `${where}: expected a Buffer on the server`);
  assert.ok(value.equals(Buffer.from(expected)), `${where}: bytes differ`);
}

forEachTransport((setup) => {
  test('client → server: a Buffer argument arrives as a Buffer with the same bytes', async () => {
    const { client, socket } = await connectedPair(setup);
    const payload = bytes(256);
    const received = waitForArgs(socket, 'bin');
    client.emit('bin', payload);
    const [value] = await received;
    assertServerBuffer(value, payload, 'arg 0');
  });

  test('client → server: a Uint8Array argument arrives as a Buffer with the same bytes', async () => {
    const { client, socket } = await connectedPair(setup);
    const payload = new Uint8Array([0, 1, 2, 253, 254, 255]);
    const received = waitForArgs(socket, 'u8');
    client.emit('u8', payload);
    assertServerBuffer((await received)[0], payload, 'arg 0');
  });

  test('server → client: Buffer and Uint8Array arguments arrive with the same bytes', async () => {
    const { client, socket } = await connectedPair(setup);
    const buf = bytes(300, 7);
    const u8 = new Uint8Array([9, 8, 7, 0, 255]);
    const received = waitForArgs(client, 'bin');
    socket.emit('bin', buf, u8);
    const [a, b] = await received;
    assertBinary(a, buf, 'arg 0');
    assertBinary(b, u8, 'arg 1');
  });

  test('binary mixed with plain arguments keeps argument positions', async () => {
    const { client, socket } = await connectedPair(setup);
    const one = bytes(10, 1);
    const two = bytes(20, 2);
    const received = waitForArgs(socket, 'mixed');
    client.emit('mixed', 'before', one, 3, two, { after: true });
    const args = await received;
    assert.equal(args.length, 5);
    assert.equal(args[0], 'before');
    assertServerBuffer(args[1], one, 'arg 1');
    assert.equal(args[2], 3);
    assertServerBuffer(args[3], two, 'arg 3');
    assert.deepEqual(args[4], { after: true });
  });

  test('binary nested in objects and arrays is reassembled in place, both ways', async () => {
    const { client, socket } = await connectedPair(setup);
    const a = bytes(16, 3);
    const b = bytes(32, 4);
    const c = bytes(1, 5);
    const make = () => ({ meta: { name: 'blob', data: a }, list: [b, 'str', { deep: [c] }], n: 1 });
    type Nested = {
      meta: { name: string; data: unknown };
      list: [unknown, string, { deep: [unknown] }];
      n: number;
    };

    const atServer = waitFor<Nested>(socket, 'nested');
    client.emit('nested', make());
    const s = await atServer;
    assert.equal(s.meta.name, 'blob');
    assertServerBuffer(s.meta.data, a, 'meta.data');
    assertServerBuffer(s.list[0], b, 'list[0]');
    assert.equal(s.list[1], 'str');
    assertServerBuffer(s.list[2].deep[0], c, 'list[2].deep[0]');
    assert.equal(s.n, 1);

    const atClient = waitFor<Nested>(client, 'nested');
    socket.emit('nested', make());
    const r = await atClient;
    assert.equal(r.meta.name, 'blob');
    assertBinary(r.meta.data, a, 'meta.data');
    assertBinary(r.list[0], b, 'list[0]');
    assert.equal(r.list[1], 'str');
    assertBinary(r.list[2].deep[0], c, 'list[2].deep[0]');
  });

  test('empty and large (512 KiB) binary payloads arrive intact, both ways', async () => {
    // Relaxed heartbeat: encoding/decoding 512 KiB on a loaded machine must not trip a 200 ms pingTimeout.
    const { client, socket } = await connectedPair(setup, { server: { pingInterval: 2_000, pingTimeout: 5_000 } });
    const empty = Buffer.alloc(0);
    const large = bytes(512 * 1024, 9);
    const atServer = waitForArgs(socket, 'sizes', 10_000);
    client.emit('sizes', empty, large);
    const [e1, l1] = await atServer;
    assertServerBuffer(e1, empty, 'empty');
    assertServerBuffer(l1, large, 'large');
    const atClient = waitForArgs(client, 'sizes', 10_000);
    socket.emit('sizes', empty, large);
    const [e2, l2] = await atClient;
    assertBinary(e2, empty, 'empty');
    assertBinary(l2, large, 'large');
  });

  test('the server acks a client event with binary', async () => {
    const { client, socket } = await connectedPair(setup);
    const reply = bytes(64, 11);
    socket.on('get', (name: string, callback: (...args: unknown[]) => void) => {
      callback({ name, body: reply }, reply);
    });
    const answer = deferred<unknown[]>();
    client.emit('get', 'file', (...args: unknown[]) => answer.resolve(args));
    const [obj, raw] = (await answer.promise) as [{ name: string; body: unknown }, unknown];
    assert.equal(obj.name, 'file');
    assertBinary(obj.body, reply, 'ack body');
    assertBinary(raw, reply, 'ack arg 1');
  });

  test('the client acks a server emitWithAck with binary, and binary can be in the request too', async () => {
    const { client, socket } = await connectedPair(setup);
    client.on('transform', (input: unknown, callback: (out: unknown) => void) => {
      const view = input instanceof ArrayBuffer ? new Uint8Array(input) : (input as Uint8Array);
      callback({ reversed: Buffer.from(view).reverse() });
    });
    const input = bytes(100, 13);
    const result = (await socket.timeout(2000).emitWithAck('transform', input)) as { reversed: unknown };
    assertServerBuffer(result.reversed, Buffer.from(input).reverse(), 'ack reversed');
  });

  test('a binary broadcast reaches every client intact', async () => {
    const { io, url } = await startServer();
    const clients = await Promise.all([1, 2, 3].map(() => connectClient(url, { setup })));
    const payload = bytes(1000, 17);
    const received = clients.map((c) => waitForArgs(c, 'all'));
    io.emit('all', 'hdr', { data: payload }, payload);
    for (const [i, r] of received.entries()) {
      const [hdr, obj, raw] = (await r) as [string, { data: unknown }, unknown];
      assert.equal(hdr, 'hdr');
      assertBinary(obj.data, payload, `client ${i} obj.data`);
      assertBinary(raw, payload, `client ${i} arg 2`);
    }
  });

  test('binary and text events interleave without corrupting each other', async () => {
    const { client, socket } = await connectedPair(setup);
    const seen: Array<[number, unknown]> = [];
    const done = deferred();
    socket.on('i', (n: number, payload: unknown) => {
      seen.push([n, payload]);
      if (n === 49) done.resolve();
    });
    for (let n = 0; n < 50; n++) client.emit('i', n, n % 2 === 0 ? bytes(n + 1, n) : `text-${n}`);
    await done.promise;
    assert.equal(seen.length, 50);
    for (const [idx, [n, payload]] of seen.entries()) {
      assert.equal(n, idx);
      if (n % 2 === 0) assertServerBuffer(payload, bytes(n + 1, n), `event ${n}`);
      else assert.equal(payload, `text-${n}`);
    }
  });
});
