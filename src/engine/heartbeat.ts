/**
 * One timer for the heartbeats of all sessions of a server. Each session keeps two numbers (when
 * it is due, and whether a pong is awaited) instead of a timer and a closure of its own; a sweep
 * at a fraction of the shortest period pings the due sessions and times out the silent ones.
 */

/** What the sweep needs of a session. */
export interface HeartbeatSubject {
  /**
   * Time (ms, monotonic) of the next ping, or of the pong deadline while one is awaited; -1 while
   * out of the heartbeat (not started yet, or closing).
   */
  heartbeatDue: number;
  awaitingPong: boolean;
  /** Sends a ping packet. */
  sendPing(): void;
  /** The pong did not come in time. */
  pingTimedOut(): void;
}

/** Sweeps per period: a ping or a timeout is at most period/SWEEPS late. */
const SWEEPS = 10;
const MIN_TICK_MS = 5;

/**
 * A deadline in whole milliseconds: an integer field stays a small integer inside the session
 * object, where a fractional one would be a separate heap number per session.
 */
function due(delayMs: number, now = performance.now()): number {
  return Math.ceil(now + delayMs);
}

export class HeartbeatSweep {
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;

  /**
   * `subjects` walks the server's sessions (its session table): the sweep keeps no collection of
   * its own, a session out of the heartbeat is marked (heartbeatDue = -1) and skipped.
   */
  constructor(
    private readonly pingInterval: number,
    private readonly pingTimeout: number,
    private readonly subjects: () => Iterable<HeartbeatSubject>,
  ) {
    this.tickMs = Math.max(MIN_TICK_MS, Math.floor(Math.min(pingInterval, pingTimeout) / SWEEPS));
  }

  /** Starts the heartbeat of a session: its first ping is due pingInterval from now. */
  add(subject: HeartbeatSubject): void {
    subject.awaitingPong = false;
    subject.heartbeatDue = due(this.pingInterval);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.tickMs);
      this.timer.unref();
    }
  }

  /** A pong arrived: the next ping is due pingInterval from now. */
  pong(subject: HeartbeatSubject): void {
    if (!subject.awaitingPong || subject.heartbeatDue < 0) return;
    subject.awaitingPong = false;
    subject.heartbeatDue = due(this.pingInterval);
  }

  /** Takes a session out of the heartbeat. */
  remove(subject: HeartbeatSubject): void {
    subject.heartbeatDue = -1;
  }

  private sweep(): void {
    const now = performance.now();
    let active = 0;
    for (const subject of this.subjects()) {
      if (subject.heartbeatDue < 0) continue;
      active++;
      if (now < subject.heartbeatDue) continue;
      if (subject.awaitingPong) {
        this.remove(subject);
        subject.pingTimedOut();
      } else {
        subject.awaitingPong = true;
        subject.heartbeatDue = due(this.pingTimeout, now);
        subject.sendPing();
      }
    }
    // Nobody left to ping: stop until the next session starts.
    if (active === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
