import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  InMemoryAdapter,
  RECOVERY_DEFAULTS,
  resolveServerOptions,
  SERVER_DEFAULTS,
  Server,
  SessionAwareAdapter,
} from '../../src/index.js';

describe('server options', () => {
  test('SERVER_DEFAULTS hold socket.io 4.8\'s values and are frozen', () => {
    assert.equal(SERVER_DEFAULTS.path, '/socket.io/');
    assert.equal(SERVER_DEFAULTS.connectTimeout, 45_000);
    assert.equal(SERVER_DEFAULTS.adapter, InMemoryAdapter);
    assert.equal(SERVER_DEFAULTS.maxAttachments, 10);
    assert.equal(SERVER_DEFAULTS.plainWebSocket, false);
    assert.equal(SERVER_DEFAULTS.serveClient, true);
    assert.equal(SERVER_DEFAULTS.cleanupEmptyChildNamespaces, false);
    assert.ok(Object.isFrozen(SERVER_DEFAULTS));
  });

  test('defaults apply, undefined counts as unset, the path gets its slashes', () => {
    const resolved = resolveServerOptions({ path: 'ws/chat', connectTimeout: undefined });
    assert.equal(resolved.path, '/ws/chat/');
    assert.equal(resolved.connectTimeout, 45_000);
    assert.equal(resolved.engine.path, '/ws/chat/');
    assert.equal(resolved.plainWebSocket, false);
    assert.ok(Object.isFrozen(resolved));
  });

  test('the engine is given the engine options only, maxHttpBufferSize as maxPayload', () => {
    const parser = { Encoder: class {}, Decoder: class {} } as never;
    const resolved = resolveServerOptions({ maxHttpBufferSize: 1234, connectTimeout: 5, pingInterval: 77, parser });
    assert.equal(resolved.parser, parser);
    assert.equal('parser' in resolved.engine, false);
    assert.equal(resolved.engine.maxPayload, 1234);
    assert.equal(resolved.engine.pingInterval, 77);
    for (const key of ['connectTimeout', 'adapter', 'maxAttachments', 'maxHttpBufferSize', 'plainWebSocket']) {
      assert.equal(key in resolved.engine, false, key);
    }
  });

  test('plain WebSocket clients default to the engine heartbeat and limits; given values win', () => {
    const plain = resolveServerOptions({
      plainWebSocket: true,
      pingInterval: 1000,
      pingTimeout: 500,
      maxPayload: 4096,
      maxBufferedBytes: 8192,
      maxAttachments: 3,
    }).plainWebSocket;
    assert.deepEqual(plain, {
      pingInterval: 1000,
      pingTimeout: 500,
      maxFrameBytes: 4096,
      maxBufferedBytes: 8192,
      maxAttachments: 3,
    });
    const custom = resolveServerOptions({ plainWebSocket: { pingInterval: 9 } }).plainWebSocket;
    assert.ok(custom !== false);
    assert.equal(custom.pingInterval, 9);
    assert.equal(custom.pingTimeout, 20_000);
  });

  test('connection state recovery is off by default; any object turns it on with socket.io\'s defaults and the session-aware adapter', () => {
    const off = resolveServerOptions({});
    assert.equal(off.connectionStateRecovery, false);
    assert.equal(off.adapter, InMemoryAdapter);
    assert.deepEqual(RECOVERY_DEFAULTS, {
      maxDisconnectionDuration: 120_000,
      skipMiddlewares: true,
      maxPackets: 10_000,
      maxPacketBytes: 32 * 1024 * 1024,
      maxSessions: 10_000,
      maxSessionsPerAddress: 1_000,
    });
    assert.ok(Object.isFrozen(RECOVERY_DEFAULTS));
    const on = resolveServerOptions({ connectionStateRecovery: {} });
    assert.deepEqual(on.connectionStateRecovery, RECOVERY_DEFAULTS);
    assert.equal(on.adapter, SessionAwareAdapter);
    assert.equal('connectionStateRecovery' in on.engine, false);
    const given = resolveServerOptions({
      connectionStateRecovery: { maxDisconnectionDuration: 5, skipMiddlewares: undefined },
      adapter: InMemoryAdapter,
    });
    assert.ok(given.connectionStateRecovery);
    assert.equal(given.connectionStateRecovery.maxDisconnectionDuration, 5);
    assert.equal(given.connectionStateRecovery.skipMiddlewares, true);
    // An adapter given explicitly is kept, as socket.io keeps it.
    assert.equal(given.adapter, InMemoryAdapter);
  });

  test('io.connectTimeout(ms) refuses what is not a number of ms, and keeps the timeout it had', () => {
    const io = new Server({ connectTimeout: 1000 });
    for (const bad of [-1, Number.NaN, '100' as unknown as number]) {
      assert.throws(() => io.connectTimeout(bad), TypeError);
    }
    assert.equal(io.connectTimeout(), 1000);
    assert.equal(io.connectTimeout(0).connectTimeout(), 0);
  });
});
