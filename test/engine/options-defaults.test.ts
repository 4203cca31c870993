import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULTS, resolveOptions } from '../../src/engine/options.js';

describe('engine options', () => {
  test('DEFAULTS hold the values of the spec and the official server', () => {
    assert.equal(DEFAULTS.path, '/engine.io/');
    assert.equal(DEFAULTS.pingInterval, 25000);
    assert.equal(DEFAULTS.pingTimeout, 20000);
    assert.equal(DEFAULTS.maxPayload, 1000000);
    assert.equal(DEFAULTS.upgradeTimeout, 10000);
    assert.deepEqual([...DEFAULTS.transports], ['polling', 'websocket']);
    assert.equal(DEFAULTS.allowUpgrades, true);
    assert.equal(DEFAULTS.cors, false);
    assert.equal(DEFAULTS.cookie, false);
    assert.equal(DEFAULTS.perMessageDeflate, false);
    assert.equal(DEFAULTS.maxBufferedBytes, 10_000_000);
    // node:http answers unless the user opts in to the engine's own HTTP path.
    assert.equal(DEFAULTS.ownHttp, false);
    // As engine.io: Engine.IO v3 clients only when asked for.
    assert.equal(DEFAULTS.allowEIO3, false);
    assert.ok(Object.isFrozen(DEFAULTS));
  });

  test('resolveOptions applies defaults, ignores undefined and normalizes the path', () => {
    const o = resolveOptions({ path: 'socket', pingInterval: undefined });
    assert.equal(o.path, '/socket/');
    assert.equal(o.basePath, '/socket');
    assert.equal(o.pingInterval, 25000);
    assert.equal(resolveOptions({ path: '/x///' }).path, '/x/');
    // '/' serves every path: the base every target lies under is ''.
    assert.equal(resolveOptions({ path: '/' }).path, '/');
    assert.equal(resolveOptions({ path: '/' }).basePath, '');
  });

  test('cookie: true takes the default attributes', () => {
    assert.deepEqual(resolveOptions({ cookie: true }).cookie, {
      name: 'io',
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
    });
    assert.equal(resolveOptions({}).cookie, false);
  });
});
