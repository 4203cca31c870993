import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { parseRequest as parseWithTarget, RequestTarget } from '../../src/engine/request.js';
import { summarizeRequest } from '../../src/engine/types.js';
import { seededRandom } from '../support/random.js';

/** parseRequest reads only url, method and headers.origin of the request. */
function request(url: string, method = 'GET', origin?: string): IncomingMessage {
  return { url, method, headers: origin === undefined ? {} : { origin } } as unknown as IncomingMessage;
}

const BOTH = ['polling', 'websocket'] as const;

/** Reads the request's target as the engine does, then checks the request against it. */
function parseRequest(req: IncomingMessage, transports: readonly ('polling' | 'websocket')[], upgrade: boolean) {
  const target = RequestTarget.parse(req.url);
  assert.ok(target, `unreadable target ${req.url}`);
  return parseWithTarget(req, target, transports, upgrade);
}

/** The last value of a parameter, as engine.io reads it (`Object.fromEntries(searchParams)`). */
function last(params: URLSearchParams, name: string): string | null {
  const all = params.getAll(name);
  return all.length === 0 ? null : all[all.length - 1]!;
}

/** A query of 1 to `most` pieces drawn at random. */
function randomQuery(random: () => number, pieces: readonly string[], most: number): string {
  let search = '';
  const n = 1 + Math.floor(random() * most);
  for (let j = 0; j < n; j++) search += pieces[Math.floor(random() * pieces.length)];
  return search;
}

describe('engine request parsing', () => {
  test('reads transport, EIO and sid from the query; the target keeps path and every parameter', () => {
    const parsed = parseRequest(
      request('/socket.io/?EIO=4&transport=polling&sid=abc_-123&b64=1&t=xyz'),
      BOTH,
      false,
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.value.transport, 'polling');
    assert.equal(parsed.value.sid, 'abc_-123');
    assert.equal(parsed.value.target.pathname, '/socket.io/');
    assert.equal(parsed.value.method, 'GET');
    assert.equal(parsed.value.target.query.get('t'), 'xyz');
  });

  test('the last occurrence of a repeated parameter wins, as in engine.io', () => {
    const parsed = parseRequest(request('/e/?sid=first&EIO=4&sid=second&transport=polling'), BOTH, false);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.sid, 'second');
    const escaped = parseRequest(request('/e/?sid=fir%73t&EIO=4&sid=sec%6Fnd&transport=polling'), BOTH, false);
    assert.ok(escaped.ok);
    assert.equal(escaped.value.sid, 'second');
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

  test('EIO=3 is protocol 3 only with allowEIO3; EIO=4 is protocol 4 either way; other revisions never', () => {
    const protocol = (url: string, allowEIO3: boolean) => {
      const target = RequestTarget.parse(url);
      assert.ok(target);
      const parsed = parseWithTarget(request(url), target, BOTH, false, allowEIO3);
      return parsed.ok ? parsed.value.protocol : parsed.error.code;
    };
    assert.equal(protocol('/e/?EIO=3&transport=polling', true), 3);
    assert.equal(protocol('/e/?EIO=3&transport=polling', false), 'UNSUPPORTED_PROTOCOL_VERSION');
    assert.equal(protocol('/e/?EIO=4&transport=polling', true), 4);
    assert.equal(protocol('/e/?EIO=4&transport=polling', false), 4);
    for (const eio of ['2', '5', '', '03']) {
      assert.equal(protocol(`/e/?EIO=${eio}&transport=polling`, true), 'UNSUPPORTED_PROTOCOL_VERSION', eio);
    }
    assert.equal(protocol('/e/?transport=polling', true), 'UNSUPPORTED_PROTOCOL_VERSION');
  });

  test('an origin with control characters is refused', () => {
    const parsed = parseRequest(request('/e/?EIO=4&transport=polling', 'GET', 'http://a\u0001b'), BOTH, false);
    assert.deepEqual(parsed, {
      ok: false,
      error: { code: 'BAD_REQUEST', context: { name: 'INVALID_ORIGIN', origin: 'http://a\u0001b' } },
    });
  });

  test('random queries route exactly as URLSearchParams reads them (last value wins)', () => {
    const random = seededRandom(0x5eed);
    const pieces = ['EIO', 'transport', 'sid', 'b64', 'x', '4', '3', 'polling', 'websocket', 'abc', '', '=', '&', '%45', '+', '%', '%zz'];
    for (let i = 0; i < 2000; i++) {
      const search = randomQuery(random, pieces, 12);
      const reference = new URLSearchParams(search);
      const parsed = parseRequest(request(`/e/?${search}`), BOTH, false);
      const transport = last(reference, 'transport');
      const expected =
        transport !== 'polling' && transport !== 'websocket'
          ? 'TRANSPORT_UNKNOWN'
          : last(reference, 'EIO') !== '4'
            ? 'UNSUPPORTED_PROTOCOL_VERSION'
            : !last(reference, 'sid') && transport === 'websocket'
              ? 'BAD_REQUEST'
              : 'ok';
      assert.equal(parsed.ok ? 'ok' : parsed.error.code, expected, search);
      if (parsed.ok) assert.equal(parsed.value.sid, last(reference, 'sid') || undefined, search);
    }
  });
});

describe('handshake request summary', () => {
  const summarize = (req: IncomingMessage) => summarizeRequest(req, RequestTarget.parse(req.url)!);

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
    const summary = summarize(
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
    const summaries = agents.map((agent) => summarize(upgradeRequest({ host: 'h', 'user-agent': agent })));
    assert.deepEqual(
      summaries.map((s) => s.headers['user-agent']),
      agents,
    );
  });
});

describe('request targets', () => {
  test('origin-form targets are read, whatever they hold; other forms are no path of ours', () => {
    for (const url of ['//', '//[', '/%', '/%zz?%=%&a=%zz', '/?%', '/a?b#c', '/\u0000']) {
      const target = RequestTarget.parse(url);
      assert.ok(target, url);
      assert.equal(target.url, url);
      assert.doesNotThrow(() => target.query.toString(), url);
    }
    for (const url of [undefined, '', '*', 'http://host/socket.io/?EIO=4', 'socket.io/']) {
      assert.equal(RequestTarget.parse(url), undefined, String(url));
    }
  });

  test('path and query are split at the first `?`; a fragment is dropped', () => {
    const target = RequestTarget.parse('/ws/chat/?name=a?b&x=1#frag')!;
    assert.equal(target.pathname, '/ws/chat/');
    assert.equal(target.search, 'name=a?b&x=1');
    assert.equal(target.param('name'), 'a?b');
    assert.equal(target.param('frag'), null);
    assert.equal(RequestTarget.parse('/p#x?y=1')!.pathname, '/p');
    assert.equal(RequestTarget.parse('/p#x?y=1')!.param('y'), null);
  });

  test('param reads random queries as URLSearchParams does (fragment dropped, last value wins)', () => {
    const random = seededRandom(0xa11);
    const pieces = ['EIO', 'transport', 'sid', 'nsp', 'x', '4', 'ws', '', '=', '&', '&&', '?', '#', '%73id', '+', '%', '%zz'];
    for (let i = 0; i < 3000; i++) {
      const search = randomQuery(random, pieces, 14);
      const target = RequestTarget.parse(`/e/?${search}`)!;
      const hash = search.indexOf('#');
      // As WHATWG URL reads `?${search}`: one leading `?` is the query's own.
      const reference = new URLSearchParams(`?${hash === -1 ? search : search.slice(0, hash)}`);
      for (const name of ['EIO', 'transport', 'sid', 'nsp', 'x', '']) {
        assert.equal(target.param(name), last(reference, name), `${name} in ${search}`);
      }
    }
  });

  test('a path lies under a base path at a segment boundary only', () => {
    const under = (url: string, base: string) => RequestTarget.parse(url)!.isUnder(base);
    assert.equal(under('/socket.io/?EIO=4', '/socket.io'), true);
    assert.equal(under('/socket.io?EIO=4', '/socket.io'), true);
    assert.equal(under('/socket.io/x', '/socket.io'), true);
    assert.equal(under('/socket.iox/', '/socket.io'), false);
    assert.equal(under('/socket', '/socket.io'), false);
    assert.equal(under('//', ''), true);
    assert.equal(under('/anything', ''), true);
  });

  test('queryObject gives each name its last value, `__proto__` as an own key', () => {
    const query = RequestTarget.parse('/?a=1&a=2&__proto__=x&b=%20')!.queryObject();
    assert.deepEqual(Object.keys(query), ['a', '__proto__', 'b']);
    assert.equal(query.a, '2');
    assert.equal(Object.getPrototypeOf(query), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(query, '__proto__')?.value, 'x');
    assert.equal(query.b, ' ');
  });
});
