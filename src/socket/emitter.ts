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
  // socket than a Map or a dictionary-mode object.
  private entries: (string | symbol | Listener[])[] | undefined;

  private listFor(event: string | symbol): Listener[] | undefined {
    const entries = this.entries;
    if (entries === undefined) return undefined;
    for (let i = 0; i < entries.length; i += 2) {
      if (entries[i] === event) return entries[i + 1] as Listener[];
    }
    return undefined;
  }

  private dropEvent(event: string | symbol): void {
    const entries = this.entries;
    if (entries === undefined) return;
    for (let i = 0; i < entries.length; i += 2) {
      if (entries[i] === event) {
        entries.splice(i, 2);
        return;
      }
    }
  }

  /** Adds a listener. */
  on<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener: Listen[Ev]): this {
    const list = this.listFor(event);
    if (list) list.push(listener);
    else if (this.entries) this.entries.push(event, [listener]);
    else this.entries = [event, [listener]];
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
    if (listener === undefined) {
      this.dropEvent(event);
      return this;
    }
    const list = this.listFor(event);
    if (!list) return this;
    const index = list.findIndex(
      (l) => l === listener || (l as Listener & { original?: Listener }).original === listener,
    );
    if (index !== -1) list.splice(index, 1);
    if (list.length === 0) this.dropEvent(event);
    return this;
  }

  /** Alias of `off`. */
  removeListener<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener?: Listen[Ev]): this {
    return this.off(event, listener);
  }

  /** Removes every listener of one event, or of all events. */
  removeAllListeners(event?: keyof Listen & (string | symbol)): this {
    if (event === undefined) this.entries = undefined;
    else this.dropEvent(event);
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
    for (const listener of list.slice()) {
      try {
        (listener as (...a: unknown[]) => unknown)(...args);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
    return true;
  }

  /** Where a throwing listener is reported. Applications see it on stderr, the server keeps going. */
  protected onListenerError(err: unknown, event: string | symbol): void {
    console.error(`parley: a listener of "${String(event)}" threw:`, err);
  }
}
