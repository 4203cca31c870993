import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { parseRequest } from '../../src/engine/request.js';
import { summarizeRequest } from '../../src/engine/types.js';
import { seededRandom } from '../support/random.js';

/** parseRequest reads only url, method and headers.origin of the request. */
function request(url: string, method = 'GET', origin?: string): IncomingMessage {
  return { url, method, headers: origin === undefined ? {} : { origin } } as unknown as IncomingMessage;
}

const BOTH = ['polling', 'websocket'] as const;

describe('engine request parsing', () => {
  test('reads transport, EIO, sid and b64 from the query', () => {
    const parsed = parseRequest(
      request('/socket.io/?EIO=4&transport=polling&sid=abc_-123&b64=1&t=xyz'),
      BOTH,
      false,
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.value.transport, 'polling');
    assert.equal(parsed.value.sid, 'abc_-123');
    assert.equal(parsed.value.b64, true);
    assert.equal(parsed.value.pathname, '/socket.io/');
    assert.equal(parsed.value.method, 'GET');
    assert.equal(parsed.value.query.get('t'), 'xyz');
  });

  test('the first occurrence of a repeated parameter wins, as with URLSearchParams', () => {
    const parsed = parseRequest(request('/e/?sid=first&EIO=4&sid=second&transport=polling'), BOTH, false);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.sid, 'first');
  });

  test('escaped names and values are decoded as URLSearchParams decodes them', () => {
    const parsed = parseRequest(request('/e/?%45IO=4&transport=pol%6Cing&sid=a%2Bb+c'), BOTH, false);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.transport, 'polling');
    assert.equal(parsed.value.sid, 'a+b c');
  });

  test('an empty sid is a handshake; a parameter without `=` is empty', () => {
    const empty = parseRequest(request('/e/?EIO=4&transport=polling&sid='), BOTH, false);
    assert.ok(empty.ok);
    assert.equal(empty.value.sid, undefined);
    const bare = parseRequest(request('/e/?EIO=4&transport=polling&sid&&'), BOTH, false);
    assert.ok(bare.ok);
    assert.equal(bare.value.sid, undefined);
  });

  test('refusals: unknown or disabled transport, wrong EIO, bad handshake method, upgrade mismatch', () => {
    const code = (url: string, method = 'GET', upgrade = false, transports: readonly ('polling' | 'websocket')[] = BOTH) => {
      const parsed = parseRequest(request(url, method), transports, upgrade);
      return parsed.ok ? 'ok' : parsed.error.code;
    };
    assert.equal(code('/e/?EIO=4'), 'TRANSPORT_UNKNOWN');
    assert.equal(code('/e/?EIO=4&transport=flash'), 'TRANSPORT_UNKNOWN');
    assert.equal(code('/e/?EIO=4&transport=websocket', 'GET', true, ['polling']), 'TRANSPORT_UNKNOWN');
    assert.equal(code('/e/?EIO=3&transport=polling'), 'UNSUPPORTED_PROTOCOL_VERSION');
    assert.equal(code('/e/?transport=polling'), 'UNSUPPORTED_PROTOCOL_VERSION');
    assert.equal(code('/e/?EIO=4&transport=polling', 'POST'), 'BAD_HANDSHAKE_METHOD');
    assert.equal(code('/e/?EIO=4&transport=websocket', 'GET', false), 'BAD_REQUEST');
    assert.equal(code('/e/?EIO=4&transport=polling', 'GET', true), 'BAD_REQUEST');
    assert.equal(code('/e/?EIO=4&transport=polling&sid=x', 'GET', true), 'BAD_REQUEST');
    assert.equal(code('/e/?EIO=4&transport=websocket&sid=x', 'GET', true), 'ok');
  });

  test('an origin with control characters is refused', () => {
    const parsed = parseRequest(request('/e/?EIO=4&transport=polling', 'GET', 'http://a\u0001b'), BOTH, false);
    assert.deepEqual(parsed, { ok: false, error: { code: 'BAD_REQUEST' } });
  });

  test('random queries route exactly as URLSearchParams reads them', () => {
    const random = seededRandom(0x5eed);
    const pieces = ['EIO', 'transport', 'sid', 'b64', 'x', '4', '3', 'polling', 'websocket', 'abc', '', '=', '&', '%45', '+', '%', '%zz'];
    for (let i = 0; i < 2000; i++) {
      let search = '';
      const n = 1 + Math.floor(random() * 12);
      for (let j = 0; j < n; j++) search += pieces[Math.floor(random() * pieces.length)];
      const reference = new URLSearchParams(search);
      const parsed = parseRequest(request(`/e/?${search}`), BOTH, false);
      const transport = reference.get('transport');
      const expected =
        transport !== 'polling' && transport !== 'websocket'
          ? 'TRANSPORT_UNKNOWN'
          : reference.get('EIO') !== '4'
            ? 'UNSUPPORTED_PROTOCOL_VERSION'
            : !reference.get('sid') && transport === 'websocket'
              ? 'BAD_REQUEST'
              : 'ok';
      assert.equal(parsed.ok ? 'ok' : parsed.error.code, expected, search);
      if (parsed.ok) {
        assert.equal(parsed.value.sid, reference.get('sid') || undefined, search);
        const b64 = reference.get('b64');
        assert.equal(parsed.value.b64, b64 !== null && b64 !== '0' && b64 !== 'false', search);
      }
    }
  });
});

describe('handshake request summary', () => {
  function upgradeRequest(headers: Record<string, string | string[]>): IncomingMessage {
    return {
      method: 'GET',
      url: '/socket.io/?EIO=4&transport=websocket',
      httpVersion: '1.1',
      headers,
      socket: { remoteAddress: '10.0.0.7', encrypted: true },
    } as unknown as IncomingMessage;
  }

  test('keeps method, url, version, address and every header but the WebSocket handshake ones', () => {
    const application = {
      host: 'chat.example:8000',
      'user-agent': 'test-agent/1.0',
      cookie: 'io=abc; theme=dark',
      authorization: 'Bearer secret',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'x-forwarded-for': '1.2.3.4',
      'set-cookie': ['a=1', 'b=2'],
    };
    const summary = summarizeRequest(
      upgradeRequest({
        ...application,
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
        'sec-websocket-extensions': 'permessage-deflate',
      }),
    );
    assert.equal(summary.method, 'GET');
    assert.equal(summary.url, '/socket.io/?EIO=4&transport=websocket');
    assert.equal(summary.httpVersion, '1.1');
    assert.equal(summary.socket.remoteAddress, '10.0.0.7');
    assert.equal(summary.socket.encrypted, true);
    assert.equal(summary.connection.remoteAddress, '10.0.0.7');
    assert.deepEqual(summary.headers, application);
  });

  test('values shared between connections still read as each request sent them', () => {
    const agents = ['agent-a', 'agent-b', 'agent-a', 'x'.repeat(2000)];
    const summaries = agents.map((agent) => summarizeRequest(upgradeRequest({ host: 'h', 'user-agent': agent })));
    assert.deepEqual(
      summaries.map((s) => s.headers['user-agent']),
      agents,
    );
  });
});
