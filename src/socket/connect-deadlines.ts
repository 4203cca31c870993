/**
 * The connectTimeout of every connection of a server on one timer. A connection is due
 * `timeoutMs` after it was added. Connections added under one timeout are due in the order added,
 * so a Set (ordered, O(1) delete) per timeout is the whole queue: there is one Set unless the
 * timeout was changed (`io.connectTimeout(ms)`) while connections were waiting. One timer waits
 * for the oldest entry, instead of a setTimeout and a clearTimeout per connection.
 */
import { MAX_TIMER_MS } from '../engine/index.js';

/** What the queue needs of a connection. */
export interface ConnectDeadlineSubject {
  /** When (ms, monotonic) the subject is due; set by the queue. */
  connectDue: number;
  /** The subject sent no CONNECT in time. */
  connectTimedOut(): void;
}

export class ConnectDeadlines {
  /** Waiting subjects by the timeout they were added under; the current timeout's queue last. */
  private readonly queues = new Map<number, Set<ConnectDeadlineSubject>>();
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (ms, monotonic). */
  private timerDue = Number.POSITIVE_INFINITY;
  private timeout: number;

  constructor(timeoutMs: number) {
    this.timeout = timeoutMs;
  }

  /** The timeout of subjects added from now on. */
  get timeoutMs(): number {
    return this.timeout;
  }

  /** Changes the timeout of subjects added from now on; those waiting keep their deadline. */
  set timeoutMs(ms: number) {
    this.timeout = ms;
  }

  /** How many subjects are waiting. */
  get size(): number {
    let size = 0;
    for (const queue of this.queues.values()) size += queue.size;
    return size;
  }

  add(subject: ConnectDeadlineSubject): void {
    // Whole milliseconds: an integer stays inside the connection object (no heap number each).
    const due = Math.ceil(performance.now() + this.timeout);
    subject.connectDue = due;
    let queue = this.queues.get(this.timeout);
    if (queue === undefined) {
      queue = new Set();
      this.queues.set(this.timeout, queue);
    }
    queue.add(subject);
    // A shorter timeout than before can make this the first subject due.
    if (due < this.timerDue) this.arm(due);
  }

  /** The subject connected or closed: it is no longer due. */
  remove(subject: ConnectDeadlineSubject): void {
    for (const queue of this.queues.values()) if (queue.delete(subject)) break;
    // The timer stays armed: when it fires with nothing due it re-arms for the oldest, or stops.
  }

  /** Forgets every subject and stops the timer. */
  clear(): void {
    this.queues.clear();
    this.disarm();
  }

  private arm(due: number): void {
    this.disarm();
    this.timerDue = due;
    // +1: timers may fire a little early against performance.now(); never spin on an entry.
    const delay = Math.max(0, Math.ceil(due - performance.now())) + 1;
    this.timer = setTimeout(() => this.expire(), Math.min(delay, MAX_TIMER_MS));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  private expire(): void {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [timeout, queue] of this.queues) {
      for (const subject of queue) {
        if (subject.connectDue > now) {
          next = Math.min(next, subject.connectDue);
          break;
        }
        queue.delete(subject);
        subject.connectTimedOut();
      }
      // An old timeout's queue goes once empty; the current one stays for the next add.
      if (queue.size === 0 && timeout !== this.timeout) this.queues.delete(timeout);
    }
    if (next !== Number.POSITIVE_INFINITY && next < this.timerDue) this.arm(next);
  }
}
