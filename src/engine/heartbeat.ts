/**
 * The heartbeats of all sessions of a server on one timer, each deadline kept to the millisecond.
 *
 * Every session waits either for its next ping (pingInterval after the handshake or its last pong)
 * or for a pong (pingTimeout after its ping). The delay of each wait is the same for every session,
 * so the order in which sessions start waiting is the order of their deadlines: two insertion-ordered
 * Sets are the whole schedule (O(1) to add, move or remove a session), and one timer is armed for the
 * earliest deadline of either. This keeps engine.io's timing (a ping exactly pingInterval after the
 * handshake, a silent session gone exactly pingInterval + pingTimeout after it) without a timer and
 * two closures per session.
 */
import { MAX_TIMER_MS } from './timers.js';

/** What the heartbeat needs of a session. */
export interface HeartbeatSubject {
  /**
   * When (ms, monotonic) the subject's current wait ends: its next ping, or its pong deadline.
   * Owned by the heartbeat.
   */
  heartbeatDue: number;
  /** Where the subject is in the heartbeat ({@link HeartbeatState}). Owned by the heartbeat. */
  heartbeatState: HeartbeatState;
  /** Sends a ping. */
  sendPing(): void;
  /** No pong came within pingTimeout of the ping. */
  pingTimedOut(): void;
}

/**
 * Out of the heartbeat, waiting for a ping, waiting for a pong, or waiting for a pong whose deadline
 * was already extended once. A small integer on the subject: the per-packet check reads a field,
 * not a hash table.
 */
export const HeartbeatState = Object.freeze({
  Out: 0,
  WaitingPing: 1,
  WaitingPong: 2,
  WaitingPongExtended: 3,
} as const);

/** One of the {@link HeartbeatState} values. */
export type HeartbeatState = (typeof HeartbeatState)[keyof typeof HeartbeatState];

/**
 * How early (ms) a deadline may be served. Node's timers count whole milliseconds on a clock read
 * once per event-loop turn, so a `setTimeout(fn, d)` runs anywhere from about a millisecond before
 * `d` to a little after; engine.io's per-session timers keep that precision. Serving deadlines that
 * fall within this margin at once, instead of arming another timer for the sliver left, keeps ours
 * as close: never more than this early, late only by what the event loop delays a timer.
 */
const EARLY_MS = 1;

export class Heartbeat {
  /** Subjects waiting to be pinged, in deadline order. */
  private readonly waitingPing = new Set<HeartbeatSubject>();
  /** Subjects waiting for a pong, in deadline order. */
  private readonly waitingPong = new Set<HeartbeatSubject>();
  private timer: NodeJS.Timeout | undefined;
  /** The deadline the timer is armed for (-1: not armed). */
  private armedFor = -1;

  /** `now` is the monotonic clock (ms); tests pass a fake one with mocked timers. */
  constructor(
    readonly pingInterval: number,
    readonly pingTimeout: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** How many subjects are in the heartbeat. */
  get size(): number {
    return this.waitingPing.size + this.waitingPong.size;
  }

  /** Starts the heartbeat of a subject: its first ping is due pingInterval from now. */
  add(subject: HeartbeatSubject): void {
    this.remove(subject);
    this.waitForPing(subject, this.now());
  }

  /** A pong arrived: the next ping is due pingInterval from now. A pong nobody asked for does nothing. */
  pong(subject: HeartbeatSubject): void {
    if (subject.heartbeatState < HeartbeatState.WaitingPong) return;
    this.waitingPong.delete(subject);
    this.waitForPing(subject, this.now());
  }

  /**
   * Another packet arrived while a pong is awaited: the pong deadline moves to pingTimeout from now,
   * once per ping, as engine.io does (a busy peer whose pong is queued behind its data is not cut).
   */
  activity(subject: HeartbeatSubject): void {
    if (subject.heartbeatState !== HeartbeatState.WaitingPong) return;
    subject.heartbeatState = HeartbeatState.WaitingPongExtended;
    // Moved to the end: its new deadline is the latest of all.
    this.waitingPong.delete(subject);
    subject.heartbeatDue = this.now() + this.pingTimeout;
    this.waitingPong.add(subject);
  }

  /** Takes a subject out of the heartbeat. */
  remove(subject: HeartbeatSubject): void {
    if (subject.heartbeatState === HeartbeatState.WaitingPing) this.waitingPing.delete(subject);
    else if (subject.heartbeatState !== HeartbeatState.Out) this.waitingPong.delete(subject);
    subject.heartbeatState = HeartbeatState.Out;
  }

  /** Stops the timer and forgets every subject. */
  clear(): void {
    for (const subject of this.waitingPing) subject.heartbeatState = HeartbeatState.Out;
    for (const subject of this.waitingPong) subject.heartbeatState = HeartbeatState.Out;
    this.waitingPing.clear();
    this.waitingPong.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = -1;
  }

  private waitForPing(subject: HeartbeatSubject, now: number): void {
    subject.heartbeatDue = now + this.pingInterval;
    subject.heartbeatState = HeartbeatState.WaitingPing;
    this.waitingPing.add(subject);
    this.arm();
  }

  /** The earliest deadline of both queues, or -1 when nobody waits. */
  private nextDeadline(): number {
    let next = -1;
    for (const subject of this.waitingPing) {
      next = subject.heartbeatDue;
      break;
    }
    for (const subject of this.waitingPong) {
      if (next === -1 || subject.heartbeatDue < next) next = subject.heartbeatDue;
      break;
    }
    return next;
  }

  /** Arms the timer for the earliest deadline unless it already fires by then. */
  private arm(): void {
    const next = this.nextDeadline();
    if (next === -1) return;
    if (this.timer !== undefined && this.armedFor <= next) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedFor = next;
    // expire() re-arms for whatever is not due yet when the timer fires.
    this.timer = setTimeout(() => this.expire(), Math.min(MAX_TIMER_MS, Math.max(1, Math.round(next - this.now()))));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    this.armedFor = -1;
    const now = this.now();
    const horizon = now + EARLY_MS;
    // Timeouts first: a session that times out now is not also pinged.
    for (const subject of this.waitingPong) {
      if (subject.heartbeatDue > horizon) break;
      this.waitingPong.delete(subject);
      subject.heartbeatState = HeartbeatState.Out;
      subject.pingTimedOut();
    }
    for (const subject of this.waitingPing) {
      if (subject.heartbeatDue > horizon) break;
      this.waitingPing.delete(subject);
      // The pong is due pingTimeout after the ping was due, not after the (busy) event loop got to
      // it: a silent session is gone pingInterval + pingTimeout after its last pong. A ping that
      // leaves very late still gives the peer at least half of pingTimeout to answer.
      subject.heartbeatDue = Math.max(subject.heartbeatDue + this.pingTimeout, now + this.pingTimeout / 2);
      subject.heartbeatState = HeartbeatState.WaitingPong;
      this.waitingPong.add(subject);
      subject.sendPing();
    }
    this.arm();
  }
}
