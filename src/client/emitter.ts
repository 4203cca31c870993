/**
 * A small typed event emitter for the client, without node:events so that the protocol path can
 * run in a browser. Listeners run in the order added; one that throws does not stop the others
 * from running (the error is rethrown asynchronously, as an uncaught error would be).
 */
import type { EventNames, EventParams, EventsMap } from '../socket/codec.js';

type AnyListener = (...args: never[]) => unknown;

/** An emitter of the events of `Events`; `emitReserved` is for the class that owns it. */
export class Emitter<Events extends EventsMap> {
  readonly #listeners = new Map<string | symbol, AnyListener[]>();

  /** Adds a listener. */
  on<Ev extends EventNames<Events>>(event: Ev, listener: Events[Ev]): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }

  /** Adds a listener removed after its first call. */
  once<Ev extends EventNames<Events>>(event: Ev, listener: Events[Ev]): this {
    const wrapper = ((...args: EventParams<Events, Ev>) => {
      this.off(event, wrapper as Events[Ev]);
      (listener as (...a: unknown[]) => unknown)(...args);
    }) as AnyListener;
    // `off(event, listener)` must find the wrapper too.
    (wrapper as { listener?: unknown }).listener = listener;
    return this.on(event, wrapper as Events[Ev]);
  }

  /** Removes one listener, every listener of an event, or every listener. */
  off<Ev extends EventNames<Events>>(event?: Ev, listener?: Events[Ev]): this {
    if (event === undefined) {
      this.#listeners.clear();
      return this;
    }
    if (listener === undefined) {
      this.#listeners.delete(event);
      return this;
    }
    const list = this.#listeners.get(event);
    if (!list) return this;
    const index = list.findIndex(
      (l) => l === listener || (l as { listener?: unknown }).listener === listener,
    );
    if (index !== -1) list.splice(index, 1);
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  /** Same as `off`. */
  removeListener<Ev extends EventNames<Events>>(event?: Ev, listener?: Events[Ev]): this {
    return this.off(event, listener);
  }

  /** The listeners of an event. */
  listeners<Ev extends EventNames<Events>>(event: Ev): Events[Ev][] {
    return [...(this.#listeners.get(event) ?? [])] as Events[Ev][];
  }

  /** Whether an event has listeners. */
  hasListeners<Ev extends EventNames<Events>>(event: Ev): boolean {
    return (this.#listeners.get(event)?.length ?? 0) > 0;
  }

  /** Calls the listeners of an event with `args`. */
  protected emitReserved<Ev extends EventNames<Events>>(event: Ev, ...args: EventParams<Events, Ev>): void {
    this.emitUntyped(event, args);
  }

  /** Calls the listeners of an event whose name and arguments come off the wire. */
  protected emitUntyped(event: string | symbol, args: readonly unknown[]): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    for (const listener of [...list]) callSafely(listener, args);
  }
}

/** Calls a listener; an error it throws is rethrown outside the emitter's loop. */
export function callSafely(listener: Function, args: readonly unknown[]): void {
  try {
    listener(...args);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}
