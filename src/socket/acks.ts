import { ackTimeoutError } from './broadcast.js';

interface PendingAck {
  callback: (err: Error | null, args: unknown[]) => void;
  timer: NodeJS.Timeout | undefined;
}

/** The acks a socket awaits from its client, by ack id. A socket creates it on its first ack. */
export class AwaitedAcks {
  private readonly pending = new Map<number, PendingAck>();

  /** How many answers are awaited. */
  get size(): number {
    return this.pending.size;
  }

  /** An emit's callback: called with the answer's args, or (with a timeout) with the error first. */
  register(id: number, fn: (...a: unknown[]) => void, timeout: number | undefined): void {
    if (timeout === undefined) {
      this.pending.set(id, { callback: (_err, args) => fn(...args), timer: undefined });
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(id);
      fn(ackTimeoutError());
    }, timeout);
    this.pending.set(id, { callback: (err, args) => (err ? fn(err) : fn(null, ...args)), timer });
  }

  /** A broadcast-with-ack's callback for this socket (the broadcast keeps its own timer). */
  expect(id: number, callback: (err: Error | null, args: unknown[]) => void): void {
    this.pending.set(id, { callback, timer: undefined });
  }

  /** Forgets an ack id that will not be answered in time. */
  cancel(id: number): void {
    this.pending.delete(id);
  }

  /** The client answered `id`. */
  answer(id: number, args: unknown[]): void {
    const ack = this.pending.get(id);
    if (!ack) return;
    this.pending.delete(id);
    if (ack.timer) clearTimeout(ack.timer);
    ack.callback(null, args);
  }

  /** The socket left: callbacks waiting with a timeout get the disconnection error, as on socket.io. */
  disconnected(): void {
    for (const ack of this.pending.values()) {
      if (ack.timer) {
        clearTimeout(ack.timer);
        ack.callback(new Error('socket has been disconnected'), []);
      }
    }
    this.pending.clear();
  }
}
