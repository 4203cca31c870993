/**
 * When a WebSocket write is "in progress" as engine.io sees it. engine.io's WebSocket transport is
 * not writable from a send until ws calls back, which node does on the next tick at the earliest
 * (later when the socket's buffer is not empty); socket.io drops a volatile packet meanwhile. parley
 * writes frames without a callback, so it counts turns instead: one process-wide counter, advanced
 * by a nextTick scheduled by the first write of a turn. A transport remembers the turn of its last
 * write; the write is over once the counter has moved on. One scheduled tick per turn, whatever the
 * number of writes, and no closure per connection.
 */

let turn = 0;
let advancing = false;

function advance(): void {
  advancing = false;
  turn++;
}

/** Called at each write: the turn it belongs to. */
export function markWrite(): number {
  if (!advancing) {
    advancing = true;
    process.nextTick(advance);
  }
  return turn;
}

/** Whether a write marked `mark` belongs to the current turn (its callback would not have come yet). */
export function inWriteTurn(mark: number): boolean {
  return mark === turn;
}
