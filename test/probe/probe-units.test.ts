/** The pure parts of the probe: reading answers of both Engine.IO versions, the CONNECT answer, targets, exit codes, snippets. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exitCodeOf, parseTarget, snippetsFor, speaksOf, type Verdict } from '../../src/probe/index.js';
import {
  connectMessage,
  decodeV3Payload,
  encodeV3Payload,
  pollingBody,
  readConnectAnswer,
  readPolling,
} from '../../src/probe/wire.js';

describe('probe wire', () => {
  test('an Engine.IO v3 payload is split by its lengths, and round-trips', () => {
    assert.deepEqual(decodeV3Payload('2:40'), ['40']);
    assert.deepEqual(decodeV3Payload('6:0{"a"}2:40'), ['0{"a"}', '40']);
    assert.equal(decodeV3Payload('5:40'), undefined, 'a length beyond the payload');
    assert.equal(decodeV3Payload('x:40'), undefined);
    assert.equal(encodeV3Payload(['40', '42["a"]']), '2:407:42["a"]');
  });

  test('a polling answer tells its version by its format, not by the EIO asked for', () => {
    const open = '0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}';
    const v3 = readPolling(`${open.length}:${open}2:40`);
    assert.equal(v3?.version, 3);
    assert.deepEqual(v3?.handshake, {
      version: 3,
      sid: 'abc',
      upgrades: ['websocket'],
      pingInterval: 25000,
      pingTimeout: 20000,
    });
    assert.deepEqual(v3?.messages, ['0']);
    const v4 = readPolling(`${open.replace('}', ',"maxPayload":1000}')}\x1e40{"sid":"s"}`);
    assert.equal(v4?.version, 4);
    assert.equal(v4?.handshake?.maxPayload, 1000);
    assert.deepEqual(v4?.messages, ['0{"sid":"s"}']);
    assert.equal(readPolling('<html>')?.handshake, undefined);
    assert.equal(readPolling('0not json')?.handshake, undefined);
    assert.equal(readPolling('1')?.closed, true);
  });

  test('CONNECT packets: auth in v5, none in the v2-era protocol', () => {
    assert.equal(connectMessage('/', undefined, 4), '0');
    assert.equal(connectMessage('/admin', { token: 'x' }, 4), '0/admin,{"token":"x"}');
    assert.equal(connectMessage('/', { token: 'x' }, 3), '0');
    assert.equal(connectMessage('/admin', undefined, 3), '0/admin,');
    assert.equal(pollingBody(['0'], 4), '40');
    assert.equal(pollingBody(['0/a,'], 3), '5:40/a,');
  });

  test('the CONNECT answer of both protocols, for the namespace asked only', () => {
    assert.deepEqual(readConnectAnswer('0{"sid":"x"}', '/'), { kind: 'connected' });
    assert.deepEqual(readConnectAnswer('0', '/'), { kind: 'connected' }, 'v2-era CONNECT has no payload');
    assert.deepEqual(readConnectAnswer('0/admin,', '/admin'), { kind: 'connected' });
    assert.deepEqual(readConnectAnswer('4{"message":"no","data":{"a":1}}', '/'), {
      kind: 'refused',
      message: 'no',
      data: { a: 1 },
    });
    assert.deepEqual(readConnectAnswer('4"not authorized"', '/'), {
      kind: 'refused',
      message: 'not authorized',
    });
    assert.deepEqual(readConnectAnswer('4/admin,"Invalid namespace"', '/admin'), {
      kind: 'refused',
      message: 'Invalid namespace',
    });
    assert.deepEqual(readConnectAnswer('0{"sid":"x"}', '/admin'), { kind: 'other' });
    assert.deepEqual(readConnectAnswer('2["presence",{}]', '/'), { kind: 'other' });
  });
});

describe('probe targets and verdict', () => {
  test('URLs as people type them: ws and wss become http and https, no scheme is http', () => {
    assert.deepEqual(parseTarget('ws://h:8000/ws/chat/'), { origin: 'http://h:8000', path: '/ws/chat/' });
    assert.deepEqual(parseTarget('wss://h/x'), { origin: 'https://h', path: '/x' });
    assert.deepEqual(parseTarget('h:8000'), { origin: 'http://h:8000', path: '/' });
    assert.equal((parseTarget('ftp://h/') as { code: string }).code, 'invalid-url');
  });

  const socketio = (plain: 'parley' | 'refused'): Verdict => ({
    kind: 'socketio',
    engineIO: 4,
    path: '/p/',
    transports: ['polling', 'websocket'],
    upgrade: true,
    plainWebSocket:
      plain === 'parley'
        ? { kind: 'parley', connectFrame: '{"event":"connect"}' }
        : { kind: 'refused', status: 400, body: '' },
    connect: { kind: 'connected', namespace: '/', over: 'polling' },
  });

  test('exit codes: 2 unreachable; 0/1 by --expect; without it 0 for either protocol', () => {
    const cases: [Verdict, 'socketio' | 'websocket' | undefined, number][] = [
      [{ kind: 'unreachable', error: { code: 'refused', message: '' } }, undefined, 2],
      [{ kind: 'unreachable', error: { code: 'refused', message: '' } }, 'socketio', 2],
      [{ kind: 'http-only', path: '/', status: 404 }, undefined, 1],
      [{ kind: 'websocket', path: '/' }, undefined, 0],
      [{ kind: 'websocket', path: '/' }, 'socketio', 1],
      [socketio('refused'), 'socketio', 0],
      [socketio('refused'), 'websocket', 1],
      [socketio('parley'), 'websocket', 0],
    ];
    for (const [verdict, expect, code] of cases) {
      assert.equal(exitCodeOf(verdict, speaksOf(verdict), expect), code, `${verdict.kind} expect ${expect}`);
    }
  });

  test("snippets carry the namespace and the auth in each language's own literal", () => {
    const [js, kotlin, swift, python] = snippetsFor('http://h:1', socketio('refused'), '/admin', {
      token: 'x',
      n: 1,
      ok: true,
    });
    assert.match(
      js?.code ?? '',
      /io\('http:\/\/h:1\/admin', \{ path: '\/p\/', auth: \{"token":"x","n":1,"ok":true\} \}\)/,
    );
    assert.match(kotlin?.code ?? '', /setAuth\(mapOf\("token" to "x", "n" to "1", "ok" to "true"\)\)/);
    assert.match(swift?.code ?? '', /manager\.socket\(forNamespace: "\/admin"\)/);
    assert.match(swift?.code ?? '', /connect\(withPayload: \["token": "x", "n": 1, "ok": true\]\)/);
    assert.match(python?.code ?? '', /auth=\{"token": "x", "n": 1, "ok": True\}/);
    assert.match(python?.code ?? '', /namespaces=\['\/admin'\]/);
    assert.deepEqual(snippetsFor('http://h:1', { kind: 'websocket', path: '/' }, '/', undefined), []);
  });
});
