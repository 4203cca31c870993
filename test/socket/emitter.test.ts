import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Server } from '../../src/index.js';
import { TypedEmitter } from '../../src/socket/emitter.js';

// biome-ignore lint/suspicious/noExplicitAny: any event, any arguments.
type AnyEvents = Record<string | symbol, (...args: any[]) => void>;

/** The emitter with its protected emit reachable, as its subclasses use it. */
class Emitter extends TypedEmitter<AnyEvents> {
  fire(event: string | symbol, ...args: unknown[]): boolean {
    return this.emitEvent(event, args);
  }
}

describe('typed emitter', () => {
  test('a listener that throws is reported on stderr; the listeners after it still run', (t) => {
    const reported = t.mock.method(console, 'error', () => undefined);
    const e = new Emitter();
    const calls: string[] = [];
    e.on('x', () => {
      throw new Error('boom');
    });
    e.on('x', () => calls.push('second'));
    assert.equal(e.fire('x'), true);
    assert.deepEqual(calls, ['second']);
    assert.equal(reported.mock.callCount(), 1);
    assert.match(String(reported.mock.calls[0]!.arguments[0]), /a listener of "x" threw/);
  });

  test('listeners run in the order added, prepended ones first; emit says whether any ran', () => {
    const e = new Emitter();
    const calls: string[] = [];
    assert.equal(e.fire('x'), false);
    e.on('x', (a: number) => calls.push(`a${a}`));
    assert.equal(e.fire('x', 1), true);
    e.on('x', (a: number) => calls.push(`b${a}`));
    e.prependListener('x', (a: number) => calls.push(`p${a}`));
    e.fire('x', 2);
    assert.deepEqual(calls, ['a1', 'p2', 'a2', 'b2']);
    assert.equal(e.listenerCount('x'), 3);
    assert.equal(e.listenerCount('y'), 0);
  });

  test('a single prepended listener is the one listener; prependOnce runs once, first', () => {
    const e = new Emitter();
    const calls: string[] = [];
    e.prependListener('x', () => calls.push('only'));
    e.on('x', () => calls.push('after'));
    e.prependOnceListener('x', () => calls.push('once'));
    e.fire('x');
    e.fire('x');
    assert.deepEqual(calls, ['once', 'only', 'after', 'only', 'after']);
  });

  test('off removes one listener (a once listener by the function given), without an argument all of them', () => {
    const e = new Emitter();
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    const c = () => calls.push('c');
    e.on('x', a).on('x', b).once('x', c);
    e.off('x', c);
    e.off('x', () => undefined);
    e.fire('x');
    assert.deepEqual(calls, ['a', 'b']);
    e.off('x', a);
    assert.deepEqual(e.listeners('x'), [b]);
    e.off('x', b);
    assert.equal(e.listenerCount('x'), 0);
    assert.equal(e.fire('x'), false);
    e.on('x', a).on('x', b);
    e.off('x');
    assert.equal(e.fire('x'), false);
    e.on('x', a).on('y', b);
    e.removeAllListeners('x');
    assert.deepEqual([e.listenerCount('x'), e.listenerCount('y')], [0, 1]);
    e.removeAllListeners();
    assert.equal(e.listenerCount('y'), 0);
  });

  test('the same function added twice runs twice and is removed once per off', () => {
    const e = new Emitter();
    let n = 0;
    const f = () => n++;
    e.on('x', f).on('x', f);
    e.fire('x');
    e.off('x', f);
    e.fire('x');
    assert.equal(n, 3);
    assert.equal(e.listenerCount('x'), 1);
  });

  test('listeners added or removed during an emit do not change that emit', () => {
    const e = new Emitter();
    const calls: string[] = [];
    const late = () => calls.push('late');
    const second = () => calls.push('second');
    e.on('x', () => {
      calls.push('first');
      e.off('x', second);
      e.on('x', late);
    });
    e.on('x', second);
    e.fire('x');
    assert.deepEqual(calls, ['first', 'second']);
    assert.deepEqual(e.listeners('x').length, 2);
  });

  test('listeners() is a copy', () => {
    const e = new Emitter();
    const f = () => undefined;
    e.on('x', f);
    e.listeners('x').push(() => undefined);
    assert.equal(e.listenerCount('x'), 1);
    e.on('x', f);
    e.listeners('x').pop();
    assert.equal(e.listenerCount('x'), 2);
  });

  test('names of Object.prototype members, __proto__ and symbols are events like any other', () => {
    const e = new Emitter();
    const names: (string | symbol)[] = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', Symbol('s')];
    for (const name of names) {
      assert.equal(e.listenerCount(name), 0, String(name));
      assert.deepEqual(e.listeners(name), [], String(name));
      assert.equal(e.fire(name), false, String(name));
    }
    const heard: string[] = [];
    for (const name of names) e.on(name, (v: string) => heard.push(`${String(name)}:${v}`));
    for (const name of names) e.fire(name, 'v');
    assert.deepEqual(heard, names.map((n) => `${String(n)}:v`));
    assert.equal(Object.getPrototypeOf(e), Emitter.prototype);
    e.off('__proto__');
    assert.equal(e.fire('__proto__'), false);
    assert.equal(e.fire('constructor', 'w'), true);
  });

  test('many events added and removed leave nothing behind', () => {
    const e = new Emitter();
    const f = () => undefined;
    for (let i = 0; i < 500; i++) e.once(`ack-${i}`, f);
    for (let i = 0; i < 500; i += 2) e.fire(`ack-${i}`);
    for (let i = 1; i < 500; i += 2) e.off(`ack-${i}`, f);
    for (let i = 0; i < 500; i++) assert.equal(e.listenerCount(`ack-${i}`), 0);
  });
});

describe('server listeners', () => {
  test('new_namespace is the main namespace\'s event; a listener that throws is reported, of() still gives the namespace', async (t) => {
    const reported = t.mock.method(console, 'error', () => undefined);
    const io = new Server();
    const heard: string[] = [];
    io.of('/').on('new_namespace', (nsp) => heard.push(nsp.name));
    io.on('new_namespace', () => {
      throw new Error('boom');
    });
    const made = io.of('/made');
    assert.equal(made.name, '/made');
    assert.deepEqual(heard, ['/made']);
    assert.equal(reported.mock.callCount(), 1);
    assert.deepEqual(io.eventNames(), ['new_namespace']);
    await io.close();
  });
});
