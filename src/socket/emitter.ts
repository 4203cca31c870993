import { EventEmitter } from 'node:events';
import { EncodeError } from './encode-error.js';
import type { EventsMap } from './typed-events.js';

type Listener = (...args: never[]) => unknown;

/** The listeners of one event: the one listener itself (the common case), or two and more in order. */
type Entry = Listener | Listener[];

/**
 * Listeners by event name. An object whose prototype chain holds nothing (no `toString`, no
 * `__proto__` accessor), so that every event name, `__proto__` included, is an own key like any
 * other; a socket with two events pays ~50 bytes for it, where a Map with a list per event took
 * ~350 (bench/OPTIMIZATIONS.md, idle).
 */
type ListenerTable = Record<string | symbol, Entry | undefined>;
function ListenerTableObject(): void {}
ListenerTableObject.prototype = Object.create(null);
const newListenerTable = (): ListenerTable => new (ListenerTableObject as unknown as new () => ListenerTable)();

/** A `once` listener's wrapper, which keeps the function given where node's does (`listener`). */
type OnceWrapper = Listener & { listener?: Listener };

/** The function the application gave: a `once` listener's wrapper stands for it. */
function unwrapped(listener: Listener): Listener {
  return (listener as OnceWrapper).listener ?? listener;
}

/** Whether `candidate` is `listener`, or the wrapper of a `once` listener given as `listener`. */
function isOrWraps(candidate: Listener, listener: Listener): boolean {
  return candidate === listener || unwrapped(candidate) === listener;
}

/** Listener limits set with setMaxListeners (the others use node's EventEmitter.defaultMaxListeners). */
const maxListeners = new WeakMap<object, number>();
/** The events each emitter has already warned about (node warns once per event). */
const warnedEvents = new WeakMap<object, Set<string | symbol>>();

/**
 * A small typed event emitter for application-facing events (`connection`, `disconnect`, user
 * events). Unlike node's EventEmitter it never throws on an 'error' event without listeners, and a
 * listener that throws is reported to `onListenerError` instead of unwinding the protocol layer.
 */
export class TypedEmitter<Listen extends EventsMap> {
  /** Listeners by event, created with the first one. */
  private listenerTable: ListenerTable | undefined;

  /** Adds a listener. */
  on<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener: Listen[Ev]): this {
    this.listenerTable ??= newListenerTable();
    const table = this.listenerTable;
    const entry = table[event];
    if (entry === undefined) table[event] = listener;
    else if (typeof entry === 'function') table[event] = [entry, listener];
    else entry.push(listener);
    if (entry !== undefined) this.checkListenerCount(event, typeof entry === 'function' ? 2 : entry.length);
    return this;
  }

  /**
   * As node's EventEmitter: more listeners on one event than the limit (10 by default, 0 for none)
   * is likely a leak, and is reported once per event with a MaxListenersExceededWarning.
   */
  private checkListenerCount(event: string | symbol, count: number): void {
    const max = this.getMaxListeners();
    if (max <= 0 || count <= max) return;
    let warned = warnedEvents.get(this);
    if (warned?.has(event)) return;
    if (warned === undefined) {
      warned = new Set();
      warnedEvents.set(this, warned);
    }
    warned.add(event);
    const warning = Object.assign(
      new Error(
        `Possible EventEmitter memory leak detected. ${count} ${String(event)} listeners added to [${this.constructor.name}]. MaxListeners is ${max}. Use emitter.setMaxListeners() to increase limit`,
      ),
      { name: 'MaxListenersExceededWarning', emitter: this, type: event, count },
    );
    process.emitWarning(warning);
  }

  /** The listener limit per event before a leak warning (node's EventEmitter API; 0: no limit). */
  setMaxListeners(n: number): this {
    if (typeof n !== 'number' || n < 0 || Number.isNaN(n)) {
      throw new RangeError(`The value of "n" is out of range. It must be a non-negative number. Received ${String(n)}`);
    }
    maxListeners.set(this, n);
    return this;
  }

  /** The listener limit per event (node's `EventEmitter.defaultMaxListeners` unless set). */
  getMaxListeners(): number {
    return maxListeners.get(this) ?? EventEmitter.defaultMaxListeners;
  }

  /** The events that have listeners, in node's order (`Reflect.ownKeys` of the table). */
  eventNames(): (string | symbol)[] {
    const table = this.listenerTable;
    return table === undefined ? [] : Reflect.ownKeys(table);
  }

  /** Alias of `on`. */
  addListener<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener: Listen[Ev]): this {
    return this.on(event, listener);
  }

  /** Adds a listener removed after its first call. */
  once<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener: Listen[Ev]): this {
    return this.on(event, this.onceWrapper(event, listener));
  }

  /** Adds a listener called before those already there (as node's EventEmitter). */
  prependListener<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener: Listen[Ev]): this {
    this.on(event, listener);
    // on() appended it (and may have done more, in a subclass): move it to the front.
    const table = this.listenerTable!;
    const entry = table[event];
    if (Array.isArray(entry)) entry.unshift(entry.pop()!);
    return this;
  }

  /** Adds a listener called before those already there, removed after its first call. */
  prependOnceListener<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener: Listen[Ev]): this {
    return this.prependListener(event, this.onceWrapper(event, listener));
  }

  private onceWrapper<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener: Listen[Ev]): Listen[Ev] {
    const wrapper = ((...args: never[]) => {
      this.off(event, wrapper as Listen[Ev]);
      return (listener as Listener)(...args);
    }) as OnceWrapper;
    wrapper.listener = listener;
    return wrapper as Listen[Ev];
  }

  /** Removes a listener (or every listener of the event when none is given). */
  off<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener?: Listen[Ev]): this {
    const table = this.listenerTable;
    const entry = table?.[event];
    if (table === undefined || entry === undefined) return this;
    if (listener === undefined || (typeof entry === 'function' && isOrWraps(entry, listener))) {
      delete table[event];
    } else if (typeof entry !== 'function') {
      const index = entry.findIndex((l) => isOrWraps(l, listener));
      if (index === -1) return this;
      entry.splice(index, 1);
      if (entry.length === 1) table[event] = entry[0];
    }
    return this;
  }

  /** Alias of `off`. */
  removeListener<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener?: Listen[Ev]): this {
    return this.off(event, listener);
  }

  /** Removes every listener of one event, or of all events. */
  removeAllListeners(event?: keyof Listen & (string | symbol)): this {
    if (event === undefined) this.listenerTable = undefined;
    else if (this.listenerTable !== undefined) delete this.listenerTable[event];
    return this;
  }

  /** The listeners of an event, as the application gave them (a `once` listener as itself). */
  listeners<Ev extends keyof Listen & (string | symbol)>(event: Ev): Listen[Ev][] {
    return this.rawListeners(event).map((l) => unwrapped(l as Listener)) as Listen[Ev][];
  }

  /** The listeners of an event as they are called (a `once` listener's wrapper, whose `listener` is the original). */
  rawListeners<Ev extends keyof Listen & (string | symbol)>(event: Ev): Listen[Ev][] {
    const entry = this.listenerTable?.[event];
    const list = entry === undefined ? [] : typeof entry === 'function' ? [entry] : entry.slice();
    return list as Listen[Ev][];
  }

  /** How many listeners an event has. */
  listenerCount(event: keyof Listen & (string | symbol)): number {
    const entry = this.listenerTable?.[event];
    return entry === undefined ? 0 : typeof entry === 'function' ? 1 : entry.length;
  }

  /** Calls every listener of an event; returns whether there was one. */
  protected emitEvent(event: string | symbol, args: readonly unknown[]): boolean {
    const entry = this.listenerTable?.[event];
    if (entry === undefined) return false;
    if (typeof entry === 'function') {
      this.callListener(entry, event, args);
      return true;
    }
    // A copy: listeners added or removed meanwhile do not change this walk.
    for (const listener of entry.slice()) this.callListener(listener, event, args);
    return true;
  }

  private callListener(listener: Listener, event: string | symbol, args: readonly unknown[]): void {
    try {
      const returned = (listener as (...a: unknown[]) => unknown)(...args);
      // An async listener's rejection is reported like a throw, not left to end the process as
      // an unhandled rejection (a client can provoke it, e.g. with input a database refuses).
      // Native promises only: then() on another thenable (a query builder) would run it.
      if (returned instanceof Promise) returned.then(undefined, (err: unknown) => this.onListenerError(err, event));
    } catch (err) {
      this.onListenerError(err, event);
    }
  }

  /**
   * Where a throwing listener is reported. Applications see it on stderr, the server keeps going.
   * An EncodeError (a reply that could not be encoded) is one line without a stack, at most once
   * per emitter every ENCODE_ERROR_REPORT_MS: a client can provoke it at will.
   */
  protected onListenerError(err: unknown, event: string | symbol): void {
    if (err instanceof EncodeError) {
      reportEncodeError(this, err, event, this.listenerErrorSubject());
      return;
    }
    console.error(`parley: a listener of "${String(event)}" threw:`, err);
  }

  /** Who the listeners belong to, for error reports (a socket names itself). */
  protected listenerErrorSubject(): string {
    return '';
  }
}

/** EncodeErrors that escape listeners are reported at most this often per emitter, in ms. */
export const ENCODE_ERROR_REPORT_MS = 5000;

/** Per emitter that reported one: when the next report may come, and how many were left out. */
const encodeErrorReports = new WeakMap<object, { nextAt: number; suppressed: number }>();

function reportEncodeError(emitter: object, err: EncodeError, event: string | symbol, subject: string): void {
  const now = Date.now();
  const last = encodeErrorReports.get(emitter);
  if (last && now < last.nextAt) {
    last.suppressed++;
    return;
  }
  const suppressed = last?.suppressed ?? 0;
  encodeErrorReports.set(emitter, { nextAt: now + ENCODE_ERROR_REPORT_MS, suppressed: 0 });
  const more = suppressed > 0 ? ` (${suppressed} more since the last report)` : '';
  console.error(
    `parley: ${subject}a listener of "${String(event)}" could not send: EncodeError (${err.code}): ${err.message}; nothing was sent${more}`,
  );
}
