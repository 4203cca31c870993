/**
 * One flush pass per event-loop turn for every connection with something to send: the messages of
 * all broadcasts handled in that turn leave in one write per socket instead of one per message.
 * Engine.IO sessions and plain WebSocket sessions share the pass, so a broadcast reaching both
 * kinds is written in the same turn.
 */

/** A connection that holds messages back until the pass. */
export interface Flushable {
  /** Whether it is in the coming pass already; owned by the pass. */
  flushScheduled: boolean;
  /** Writes what accumulated since it asked for the pass. */
  runScheduledFlush(): void;
}

let queue: Flushable[] = [];
let scheduled = false;

function runFlushPass(): void {
  const due = queue;
  queue = [];
  scheduled = false;
  for (const target of due) {
    target.flushScheduled = false;
    target.runScheduledFlush();
  }
}

/** Asks for `target.runScheduledFlush()` at the end of this turn; asking again before then does nothing. */
export function scheduleFlush(target: Flushable): void {
  if (target.flushScheduled) return;
  target.flushScheduled = true;
  queue.push(target);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runFlushPass);
  }
}
