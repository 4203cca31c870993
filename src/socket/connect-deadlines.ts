/**
 * The connectTimeout of every connection of a server on one timer. A connection is due
 * `timeoutMs` after it was added; the delay is the same for all, so insertion order is deadline
 * order and a Set (ordered, O(1) delete) is the whole queue. One timer waits for the oldest entry,
 * instead of a setTimeout and a clearTimeout per connection.
 */

/** What the queue needs of a connection. */
export interface ConnectDeadlineSubject {
  /** When (ms, monotonic) the subject is due; set by the queue. */
  connectDue: number;
  /** The subject sent no CONNECT in time. */
  connectTimedOut(): void;
}

export class ConnectDeadlines {
  private readonly pending = new Set<ConnectDeadlineSubject>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly timeoutMs: number) {}

  /** How many subjects are waiting. */
  get size(): number {
    return this.pending.size;
  }

  add(subject: ConnectDeadlineSubject): void {
    // Whole milliseconds: an integer stays inside the connection object (no heap number each).
    subject.connectDue = Math.ceil(performance.now() + this.timeoutMs);
    this.pending.add(subject);
    if (this.timer === undefined) this.arm(this.timeoutMs);
  }

  /** The subject connected or closed: it is no longer due. */
  remove(subject: ConnectDeadlineSubject): void {
    this.pending.delete(subject);
    // The timer stays armed: when it fires with nothing due it re-arms for the oldest, or stops.
  }

  /** Forgets every subject and stops the timer. */
  clear(): void {
    this.pending.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    // +1: timers may fire a little early against performance.now(); never spin on an entry.
    this.timer = setTimeout(() => this.expire(), Math.max(0, Math.ceil(delayMs)) + 1);
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const subject of this.pending) {
      if (subject.connectDue > now) {
        this.arm(subject.connectDue - now);
        return;
      }
      this.pending.delete(subject);
      subject.connectTimedOut();
    }
  }
}
