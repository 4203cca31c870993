import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EncodedPacket, socketIoFormat } from '../../src/socket/adapter.js';
import type { Packet } from '../../src/socket/packet.js';
import {
  fromV2Packet,
  parseV2Namespace,
  socketIoV2Format,
  v2RefusalPacket,
  v2SocketId,
} from '../../src/socket/v2-protocol.js';

function wire(encoded: EncodedPacket, format = socketIoV2Format): (string | Buffer)[] {
  return encoded.in(format).map((m) => m.data);
}

describe('Socket.IO v4 protocol (v2 clients): namespaces', () => {
  test('a namespace with a query is its path, the query its parameters (the last value of a repeated one)', () => {
    assert.deepEqual(parseV2Namespace('/admin?token=abc&x=1&x=2'), { name: '/admin', query: { token: 'abc', x: '2' } });
    assert.deepEqual(parseV2Namespace('/admin?a=%C3%A9+b'), { name: '/admin', query: { a: 'é b' } });
    assert.deepEqual(parseV2Namespace('/admin'), { name: '/admin', query: undefined });
    assert.deepEqual(parseV2Namespace('/'), { name: '/', query: undefined });
    assert.deepEqual(parseV2Namespace('/a/b-c_d'), { name: '/a/b-c_d', query: undefined });
  });

  test('the path is read as socket.io 4.8 reads it, a URL path: dot segments resolved, unsafe characters escaped', () => {
    assert.equal(parseV2Namespace('/a/../b').name, '/b');
    assert.equal(parseV2Namespace('/a b').name, '/a%20b');
    assert.deepEqual(parseV2Namespace('/?x=1'), { name: '/', query: { x: '1' } });
  });

  test('a query parameter named __proto__ is a plain property, not the prototype', () => {
    const { query } = parseV2Namespace('/n?__proto__=x');
    assert.ok(query);
    assert.equal(Object.getPrototypeOf(query), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(query, '__proto__')?.value, 'x');
  });

  test("a CONNECT's namespace query becomes its auth; other packets only lose the query", () => {
    assert.deepEqual(fromV2Packet({ type: 'connect', nsp: '/admin?token=abc' }), {
      type: 'connect',
      nsp: '/admin',
      data: { token: 'abc' },
    });
    assert.deepEqual(fromV2Packet({ type: 'connect', nsp: '/admin' }), { type: 'connect', nsp: '/admin' });
    const event: Packet = { type: 'event', nsp: '/admin', data: ['hi'], id: 3 };
    assert.equal(fromV2Packet(event), event);
    assert.deepEqual(fromV2Packet({ type: 'disconnect', nsp: '/admin?x=1' }), { type: 'disconnect', nsp: '/admin' });
  });

  test('a socket id is the one the client makes: the session id in /, namespace#session id elsewhere', () => {
    assert.equal(v2SocketId('/', 'sid1'), 'sid1');
    assert.equal(v2SocketId('/admin', 'sid1'), '/admin#sid1');
  });
});

describe('Socket.IO v4 protocol (v2 clients): what the server writes', () => {
  test('CONNECT goes without payload; other packets as in v5', () => {
    const connect = new EncodedPacket({ type: 'connect', nsp: '/admin', data: { sid: 'x' } });
    assert.deepEqual(wire(connect), ['0/admin,']);
    assert.deepEqual(wire(connect, socketIoFormat), ['0/admin,{"sid":"x"}']);
    assert.deepEqual(wire(new EncodedPacket({ type: 'connect', nsp: '/', data: { sid: 'x' } })), ['0']);
    const event = new EncodedPacket({ type: 'event', nsp: '/', data: ['ev', Buffer.of(1)], id: 2 });
    assert.deepEqual(wire(event), ['51-2["ev",{"_placeholder":true,"num":0}]', Buffer.of(1)]);
  });

  test("a refusal carries the error's data when it has some, else its message", () => {
    assert.deepEqual(wire(v2RefusalPacket('/n', new Error('nope'))), ['4/n,"nope"']);
    const withData = Object.assign(new Error('nope'), { data: { code: 42 } });
    assert.deepEqual(wire(v2RefusalPacket('/n', withData)), ['4/n,{"code":42}']);
    // Falsy data counts as none, as socket.io tests it.
    assert.deepEqual(wire(v2RefusalPacket('/', Object.assign(new Error('nope'), { data: 0 }))), ['4"nope"']);
    // Data that cannot be encoded: the message still goes.
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.deepEqual(wire(v2RefusalPacket('/', Object.assign(new Error('nope'), { data: circular }))), ['4"nope"']);
  });
});
