import type { EventsMap } from './typed-events.js';

type Listener = (...args: never[]) => unknown;

/**
 * A small typed event emitter for application-facing events (`connection`, `disconnect`, user
 * events). Unlike node's EventEmitter it never throws on an 'error' event without listeners, and a
 * listener that throws is reported to `onListenerError` instead of unwinding the protocol layer.
 */
export class TypedEmitter<Listen extends EventsMap> {
  // A plain object, not a Map: sockets with the same events share one hidden class, smaller per
  // socket than a Map's hash table. Emptied entries are set to undefined rather than deleted, so
  // the object keeps that shared shape.
  private listenerTable: Record<string | symbol, Listener[] | undefined> | undefined;

  private table(): Record<string | symbol, Listener[] | undefined> {
    this.listenerTable ??= Object.create(null) as Record<string | symbol, Listener[] | undefined>;
    return this.listenerTable;
  }

  /** Adds a listener. */
  on<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener: Listen[Ev]): this {
    const table = this.table();
    const list = table[event];
    if (list) list.push(listener);
    else table[event] = [listener];
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
    const table = this.listenerTable;
    if (!table) return this;
    if (listener === undefined) {
      table[event] = undefined;
      return this;
    }
    const list = table[event];
    if (!list) return this;
    const index = list.findIndex(
      (l) => l === listener || (l as Listener & { original?: Listener }).original === listener,
    );
    if (index !== -1) list.splice(index, 1);
    if (list.length === 0) table[event] = undefined;
    return this;
  }

  /** Alias of `off`. */
  removeListener<Ev extends keyof Listen & (string | symbol)>(event: Ev, listener?: Listen[Ev]): this {
    return this.off(event, listener);
  }

  /** Removes every listener of one event, or of all events. */
  removeAllListeners(event?: keyof Listen & (string | symbol)): this {
    const table = this.listenerTable;
    if (!table) return this;
    if (event === undefined) this.listenerTable = undefined;
    else table[event] = undefined;
    return this;
  }

  /** The listeners of an event. */
  listeners<Ev extends keyof Listen & (string | symbol)>(event: Ev): Listen[Ev][] {
    return (this.listenerTable?.[event]?.slice() ?? []) as Listen[Ev][];
  }

  /** How many listeners an event has. */
  listenerCount(event: keyof Listen & (string | symbol)): number {
    return this.listenerTable?.[event]?.length ?? 0;
  }

  /** Calls every listener of an event; returns whether there was one. */
  protected emitEvent(event: string | symbol, args: readonly unknown[]): boolean {
    const list = this.listenerTable?.[event];
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
