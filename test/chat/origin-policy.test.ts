/** The chat's origin policy (src/chat/origin.ts) on its own: parsing, own origins, decisions, messages. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canonicalOrigin,
  describeCorsOrigins,
  OriginPolicy,
  type OriginRequest,
  OriginSyntaxError,
  originRequest,
  parseCorsOrigin,
  parseCorsOriginList,
} from '../../src/chat/origin.js';

function req(headers: Record<string, string>, encrypted = false): OriginRequest {
  return { headers, encrypted };
}

describe('canonicalOrigin', () => {
  const same: [string, string][] = [
    ['http://example.com', 'http://example.com'],
    ['HTTP://Example.COM', 'http://example.com'],
    ['http://example.com:80', 'http://example.com'],
    ['https://example.com:443', 'https://example.com'],
    ['https://example.com:80', 'https://example.com:80'],
    ['http://example.com:443', 'http://example.com:443'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['http://127.0.0.1:8000', 'http://127.0.0.1:8000'],
    ['http://[::1]:8000', 'http://[::1]:8000'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['capacitor://localhost', 'capacitor://localhost'],
    ['Chrome-Extension://ABCDEF', 'chrome-extension://abcdef'],
  ];
  for (const [given, canonical] of same) {
    test(`${given} → ${canonical}`, () => assert.equal(canonicalOrigin(given), canonical));
  }

  const not = [
    '',
    'null',
    '*',
    'example.com',
    'http:example.com',
    'http:/example.com',
    'http://',
    'http://example.com/',
    'http://example.com/path',
    'http://example.com?q=1',
    'http://example.com#x',
    'http://user@example.com',
    'http://user:pw@example.com',
    'http://example.com:99999',
    'http:\\\\example.com',
    ' http://example.com',
    'http://exa mple.com',
    'http://a, http://b',
  ];
  for (const value of not) {
    test(`${JSON.stringify(value)} is not an origin`, () => assert.equal(canonicalOrigin(value), undefined));
  }
});

describe('parseCorsOrigin (the --cors-origin values)', () => {
  test('accepts * and origins, canonical', () => {
    assert.equal(parseCorsOrigin('*'), '*');
    assert.equal(parseCorsOrigin(' https://App.Example:443/ '), 'https://app.example');
  });

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['null', /"null".*only \*/],
    ['https://*.example.com', /wildcard/],
    ['https://a.example,https://b.example', /one origin per --cors-origin/],
    ['app.example', /not an origin: give scheme:\/\/host\[:port\]/],
    ['https://app.example/chat', /without a path/],
  ];
  for (const [value, message] of bad) {
    test(`refuses ${JSON.stringify(value)} saying why`, () => {
      assert.throws(
        () => parseCorsOrigin(value),
        (err: Error) => err instanceof OriginSyntaxError && message.test(err.message),
      );
    });
  }

  test('CHAT_CORS_ORIGIN is a comma-separated list; empty parts are skipped', () => {
    assert.deepEqual(parseCorsOriginList('https://a.example, http://B.example:80,,'), [
      'https://a.example',
      'http://b.example',
    ]);
    assert.deepEqual(parseCorsOriginList(''), []);
    assert.throws(() => parseCorsOriginList('https://a.example,nope'), OriginSyntaxError);
  });

  test('OriginPolicy.of refuses a bad origin too (programmatic options)', () => {
    assert.throws(() => OriginPolicy.of(['https://ok.example', 'ftp:/x'], 0), OriginSyntaxError);
  });
});

describe('OriginPolicy', () => {
  const host = { host: 'chat.example:8000' };

  test('no Origin is always allowed (not a browser page)', () => {
    assert.equal(OriginPolicy.of([], 0).allows(undefined, req(host)), true);
    assert.equal(OriginPolicy.of([], 0).refusal(req(host)), undefined);
  });

  test('same origin: http://<Host>, compared canonically', () => {
    const policy = OriginPolicy.of([], 0);
    assert.equal(policy.allows('http://chat.example:8000', req(host)), true);
    assert.equal(policy.allows('HTTP://CHAT.example:8000', req(host)), true);
    assert.equal(policy.allows('http://chat.example:80', req({ host: 'chat.example' })), true);
    assert.equal(policy.allows('http://chat.example', req({ host: 'Chat.Example:80' })), true);
    assert.equal(policy.allows('https://chat.example:8000', req(host)), false, 'another scheme');
    assert.equal(policy.allows('http://chat.example:8001', req(host)), false, 'another port');
    assert.equal(policy.allows('http://other.example:8000', req(host)), false, 'another host');
    assert.equal(policy.allows('http://chat.example:8000', req({})), false, 'no Host: no own origin');
  });

  test('over TLS the own origin is https://<Host>', () => {
    const policy = OriginPolicy.of([], 0);
    assert.equal(policy.allows('https://chat.example', req({ host: 'chat.example' }, true)), true);
    assert.equal(policy.allows('https://chat.example', req({ host: 'chat.example:443' }, true)), true);
    assert.equal(policy.allows('http://chat.example', req({ host: 'chat.example' }, true)), false);
  });

  test('a Host header that makes no origin gives none', () => {
    const policy = OriginPolicy.of([], 0);
    assert.deepEqual(policy.ownOrigins(req({ host: 'evil.example/x' })), []);
    assert.deepEqual(policy.ownOrigins(req({ host: 'user@evil.example' })), []);
    assert.deepEqual(policy.ownOrigins(req({ host: '' })), []);
    assert.equal(policy.allows('http://evil.example', req({ host: 'user@evil.example' })), false);
  });

  test('X-Forwarded-Host and -Proto count only with trusted proxies, first values', () => {
    const headers = {
      host: 'backend:8000',
      'x-forwarded-host': 'chat.example, backend:8000',
      'x-forwarded-proto': 'https, http',
    };
    assert.equal(OriginPolicy.of([], 0).allows('https://chat.example', req(headers)), false);
    const trusting = OriginPolicy.of([], 1);
    assert.deepEqual(trusting.ownOrigins(req(headers)), ['http://backend:8000', 'https://chat.example']);
    assert.equal(trusting.allows('https://chat.example', req(headers)), true);
    assert.equal(trusting.allows('http://backend:8000', req(headers)), true);
    assert.equal(trusting.allows('http://chat.example', req(headers)), false);
    // Only one of the two: the other comes from the request itself.
    assert.equal(
      trusting.allows('https://backend:8000', req({ host: 'backend:8000', 'x-forwarded-proto': 'https' })),
      true,
    );
    assert.equal(
      trusting.allows(
        'http://chat.example',
        req({ host: 'backend:8000', 'x-forwarded-host': 'chat.example' }),
      ),
      true,
    );
  });

  test('listed origins are allowed, canonically; others are not', () => {
    const policy = OriginPolicy.of(['https://app.example', 'http://localhost:3000'], 0);
    assert.equal(policy.allows('https://app.example', req(host)), true);
    assert.equal(policy.allows('https://APP.example:443', req(host)), true);
    assert.equal(policy.allows('http://localhost:3000', req(host)), true);
    assert.equal(policy.allows('http://chat.example:8000', req(host)), true, 'own origin still allowed');
    assert.equal(policy.allows('http://app.example', req(host)), false);
    assert.equal(policy.allows('https://app.example.evil', req(host)), false);
  });

  test('null and malformed origins are refused unless *', () => {
    const policy = OriginPolicy.of(['https://app.example'], 0);
    for (const origin of [
      'null',
      'https://app.example/',
      'https://app.example, https://evil.example',
      'garbage',
    ]) {
      assert.equal(policy.allows(origin, req(host)), false, origin);
    }
    const any = OriginPolicy.of(['*'], 0);
    for (const origin of ['null', 'https://evil.example', 'garbage'])
      assert.equal(any.allows(origin, req(host)), true);
  });

  test('the refusal names the origin and the flag to set', () => {
    const policy = OriginPolicy.of([], 0);
    assert.equal(
      policy.refusal(req({ ...host, origin: 'https://Evil.example:443' })),
      'origin https://evil.example is not allowed: start the server with --cors-origin https://evil.example (or CHAT_CORS_ORIGIN)',
    );
    assert.match(policy.refusal(req({ ...host, origin: 'null' })) ?? '', /origin null .*--cors-origin "\*"/);
    assert.match(
      policy.refusal(req({ ...host, origin: 'x'.repeat(500) })) ?? '',
      /^origin "x{200}…" is not an origin/,
    );
    assert.match(
      policy.refusal(req({ ...host, origin: `https://${'a'.repeat(300)}.example` })) ?? '',
      /^origin "https:\/\/a{192}…" is not allowed: start the server with --cors-origin <origin>/,
    );
  });

  test('our host on another scheme, with no trusted proxy: the refusal suggests --trust-proxy', () => {
    const refusal = OriginPolicy.of([], 0).refusal(req({ ...host, origin: 'https://chat.example:8000' }));
    assert.match(refusal ?? '', /--cors-origin https:\/\/chat\.example:8000 .*--trust-proxy/);
    const other = OriginPolicy.of([], 0).refusal(req({ ...host, origin: 'https://evil.example' }));
    assert.doesNotMatch(other ?? '', /trust-proxy/);
  });
});

describe('describeCorsOrigins (the startup banner line)', () => {
  test('same-origin only, a list, or any', () => {
    assert.match(describeCorsOrigins([]), /^same-origin only \(add --cors-origin/);
    assert.equal(
      describeCorsOrigins(['https://a.example', 'HTTPS://a.example', 'http://b.example']),
      'same-origin and https://a.example, http://b.example',
    );
    assert.equal(describeCorsOrigins(['https://a.example', '*']), 'any (*)');
  });
});

describe('originRequest', () => {
  test('reads TLS from the socket', () => {
    assert.equal(originRequest({ headers: {}, socket: { encrypted: true } }).encrypted, true);
    assert.equal(originRequest({ headers: {}, socket: {} }).encrypted, false);
  });
});
