/** What a client's handshake becomes upstream, and the gateway's options (pure functions). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forwardedHandshake, GATEWAY_DEFAULTS, resolveGatewayOptions } from '../../src/gateway/index.js';
import type { Handshake } from '../../src/index.js';

function handshake(over: Partial<Handshake>): Handshake {
  return {
    headers: {},
    time: '',
    address: '10.0.0.7',
    xdomain: false,
    secure: false,
    issued: 0,
    url: '/',
    query: {},
    auth: {},
    ...over,
  };
}

const DEFAULTS = resolveGatewayOptions({ upstream: 'http://127.0.0.1:8000' });

describe('forwarded handshake', () => {
  test("a plain client's query goes upstream as query, not auth; protocol parameters stay behind", () => {
    const forwarded = forwardedHandshake(
      handshake({ query: { name: 'alice', nsp: '/admin', room: ['a', 'b'] }, auth: { name: 'alice', room: 'b' } }),
      DEFAULTS,
    );
    assert.deepEqual(forwarded.auth, {});
    assert.deepEqual(forwarded.query, { name: 'alice', room: 'b' });
  });

  test("a Socket.IO client's auth is forwarded as is; authFromQuery fills only what it lacks", () => {
    const options = { ...DEFAULTS, authFromQuery: ['name', 'token'] };
    const forwarded = forwardedHandshake(
      handshake({ query: { EIO: '4', transport: 'websocket', name: 'query-name', token: 't' }, auth: { name: 'own' } }),
      options,
    );
    assert.deepEqual(forwarded.auth, { name: 'own', token: 't' });
    assert.deepEqual(forwarded.query, { name: 'query-name', token: 't' });
  });

  test('only the chosen headers go; X-Forwarded-For is extended with the client address', () => {
    const forwarded = forwardedHandshake(
      handshake({
        headers: { authorization: 'Bearer x', cookie: 'a=1', host: 'gw', 'x-forwarded-for': '1.2.3.4', 'sec-websocket-key': 'k' },
      }),
      DEFAULTS,
    );
    assert.deepEqual(forwarded.headers, { authorization: 'Bearer x', cookie: 'a=1', 'x-forwarded-for': '1.2.3.4, 10.0.0.7' });
    const none = forwardedHandshake(handshake({ query: { a: '1' } }), {
      ...DEFAULTS,
      forwardQuery: false,
      forwardedFor: false,
      forwardHeaders: [],
    });
    assert.deepEqual(none, { auth: {}, query: {}, headers: {} });
  });
});

describe('gateway options', () => {
  test('defaults: upstream path /socket.io/, listen path the same, 100 buffered messages, websocket upstream', () => {
    assert.equal(DEFAULTS.path, '/socket.io/');
    assert.equal(DEFAULTS.listenPath, '/socket.io/');
    assert.equal(DEFAULTS.maxBufferedMessages, 100);
    assert.deepEqual(DEFAULTS.upstreamTransports, ['websocket']);
    assert.equal(GATEWAY_DEFAULTS.port, 8080);
    const custom = resolveGatewayOptions({ upstream: 'http://h:8000/ignored', path: 'ws/chat', forwardHeaders: ['X-Token'] });
    assert.equal(custom.upstream, 'http://h:8000');
    assert.equal(custom.path, '/ws/chat/');
    assert.equal(custom.listenPath, '/ws/chat/');
    assert.deepEqual(custom.forwardHeaders, ['x-token']);
  });

  test('a non-http upstream and a negative bound are refused', () => {
    assert.throws(() => resolveGatewayOptions({ upstream: 'ftp://h' }), /http/);
    assert.throws(() => resolveGatewayOptions({ upstream: 'http://h', maxBufferedMessages: -1 }), /maxBufferedMessages/);
  });
});
