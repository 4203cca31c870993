import { EncodeError } from './encode-error.js';
import type { EventsMap } from './typed-events.js';

type Listener = (...args: never[]) => unknown;

/**
 * A small typed event emitter for application-facing events (`connection`, `disconnect`, user
 * events). Unlike node's EventEmitter it never throws on an 'error' event without listeners, and a
 * listener that throws is reported to `onListenerError` instead of unwinding the protocol layer.
 */
export class TypedEmitter<Listen extends EventsMap> {
  // Listeners as a flat list of [event, listeners, event, listeners, ...]: a socket has a handful
  // of events, a linear scan finds one as fast as a hash, and the list costs far less memory per
  // socket than a Map or a dictionary-mode object. Both levels are exact-size and never mutated:
  // a change builds new arrays with slice/concat (arrays grown by push or built by spread reserve
  // room for ~16 more entries), and an emit can walk its list while listeners come and go.
  private entries: readonly (string | symbol | readonly Listener[])[] | undefined;

  private indexOf(event: string | symbol): number {
    const entries = this.entries;
    if (entries === undefined) return -1;
    for (let i = 0; i < entries.length; i += 2) {
      if (entries[i] === event) return i;
    }
    return -1;
  }

  private listFor(event: string | symbol): readonly Listener[] | undefined {
    const i = this.indexOf(event);
    return i === -1 ? undefined : (this.entries![i + 1] as readonly Listener[]);
  }

  /** Replaces the listeners of an event (none: the event is dropped). */
  private setList(event: string | symbol, list: readonly Listener[]): void {
    const entries = this.entries ?? [];
    const i = this.indexOf(event);
    if (i === -1) {
      if (list.length > 0) this.entries = entries.concat([event, list]);
    } else if (list.length > 0) {
      const copy = entries.slice();
      copy[i + 1] = list;
      this.entries = copy;
    } else {
      this.entries = entries.length === 2 ? undefined : entries.slice(0, i).concat(entries.slice(i + 2));
    }
  }

  /** Adds a listener. */
  on<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener: Listen[Ev]): this {
    const list = this.listFor(event);
    this.setList(event, list ? list.concat([listener]) : [listener]);
    return this;
  }

  /** Alias of `on`. */
  addListener<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener: Listen[Ev]): this {
    return this.on(event, listener);
  }

  /** Adds a listener removed after its first call. */
  once<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener: Listen[Ev]): this {
    const wrapper = ((...args: never[]) => {
      this.off(event, wrapper as Listen[Ev]);
      return (listener as Listener)(...args);
    }) as Listener & { original?: Listener };
    wrapper.original = listener;
    return this.on(event, wrapper as Listen[Ev]);
  }

  /** Removes a listener (or every listener of the event when none is given). */
  off<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener?: Listen[Ev]): this {
    const list = this.listFor(event);
    if (!list) return this;
    if (listener === undefined) {
      this.setList(event, []);
      return this;
    }
    const index = list.findIndex(
      (l) => l === listener || (l as Listener & { original?: Listener }).original === listener,
    );
    if (index !== -1) this.setList(event, list.slice(0, index).concat(list.slice(index + 1)));
    return this;
  }

  /** Alias of `off`. */
  removeListener<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener?: Listen[Ev]): this {
    return this.off(event, listener);
  }

  /** Removes every listener of one event, or of all events. */
  removeAllListeners(event?: keyof Listen & (string | symbol)): this {
    if (event === undefined) this.entries = undefined;
    else this.setList(event, []);
    return this;
  }

  /** The listeners of an event. */
  listeners<Ev extends keyof Listen & (string | symbol)>(event: Ev): Listen[Ev][] {
    return (this.listFor(event)?.slice() ?? []) as Listen[Ev][];
  }

  /** How many listeners an event has. */
  listenerCount(event: keyof Listen & (string | symbol)): number {
    return this.listFor(event)?.length ?? 0;
  }

  /** Calls every listener of an event; returns whether there was one. */
  protected emitEvent(event: string | symbol, args: readonly unknown[]): boolean {
    const list = this.listFor(event);
    if (!list || list.length === 0) return false;
    if (list.length === 1) {
      // The common case, without copying the list.
      try {
        (list[0] as (...a: unknown[]) => unknown)(...args);
      } catch (err) {
        this.onListenerError(err, event);
      }
      return true;
    }
    // The list is never mutated: listeners added or removed meanwhile do not disturb this walk.
    for (const listener of list) {
      try {
        (listener as (...a: unknown[]) => unknown)(...args);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
    return true;
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
