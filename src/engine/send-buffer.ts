import { OutboundMessage } from './message.js';
import type { Outbound } from './types.js';

/**
 * The bounded send buffer's rule, for Engine.IO sessions and plain WebSocket sessions alike: what
 * is queued, plus what the transport holds and has not sent, plus the new messages, must fit under
 * the limit (`maxBufferedBytes`).
 */

/** What the rule keeps on a connection (fields of the connection itself: no object per connection). */
export interface SendBufferState {
  /** Bytes queued for the transport and not handed to it yet. */
  bufferedBytes: number;
  /**
   * The transport's backlog when last read (-1: unknown). It only shrinks until the connection
   * writes again (it is read again after each write), so while queue + it + a new message fit, the
   * message fits: a broadcast need not reach into every recipient's socket to check.
   */
  transportBacklog: number;
}

/** Bytes counted for messages: UTF-16 length for text (cheap, and an upper bound per character). */
export function outboundSize(messages: readonly Outbound[]): number {
  let size = 0;
  for (const message of messages) {
    size +=
      typeof message === 'string'
        ? message.length
        : message instanceof OutboundMessage
          ? message.size
          : message.byteLength;
  }
  return size;
}

/**
 * Whether `size` more bytes overflow `limit`. The transport's backlog is read only when the last
 * known one leaves no room.
 */
export function overflows(
  state: SendBufferState,
  size: number,
  limit: number,
  transport: { readonly bufferedAmount: number },
): boolean {
  const known = state.transportBacklog;
  if (known >= 0 && state.bufferedBytes + known + size <= limit) return false;
  const backlog = transport.bufferedAmount;
  state.transportBacklog = backlog;
  return state.bufferedBytes + backlog + size > limit;
}
