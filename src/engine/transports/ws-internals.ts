import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/**
 * The `ws` internals the fast paths use (ws 8, pinned to an exact version in package.json): the
 * WebSocket transport writes pre-built frames straight to `_socket` while `_sender` has nothing
 * queued and no extension is negotiated; the handshake builds a server-side WebSocket with
 * `new WebSocket(null)` and `setSocket`, as ws's own server does. They are checked once per
 * process, on a throwaway WebSocket; if any is missing, one warning line, and both paths use ws's
 * public API (`ws.send` per message, `wss.handleUpgrade`).
 */

/** The fields of a server-side WebSocket (after `setSocket`) that the write path reads. */
export interface WsInternals {
  _socket: Duplex;
  _sender: { _state: number; _queue: unknown[] };
  _extensions: Record<string, unknown>;
}

/** How ws's own server attaches a socket to a server-side WebSocket. */
export interface WsServerSide {
  setSocket(socket: Duplex, head: Buffer, options: object): void;
}

/**
 * The internals `ws` (a WebSocket given `socket` by setSocket) and `prototype` (WebSocket's) lack,
 * by name; empty when all are there.
 */
export function missingWsInternals(ws: unknown, socket: unknown, prototype: unknown): string[] {
  const missing: string[] = [];
  if (typeof (prototype as Partial<WsServerSide> | undefined)?.setSocket !== 'function') {
    missing.push('WebSocket.prototype.setSocket');
  }
  const w = ws as Partial<Record<keyof WsInternals, unknown>> | undefined;
  const sender = w?._sender as Partial<Record<'_state' | '_queue', unknown>> | null | undefined;
  if (typeof sender?._state !== 'number') missing.push('_sender._state');
  if (!Array.isArray(sender?._queue)) missing.push('_sender._queue');
  if (typeof w?._extensions !== 'object' || w._extensions === null) missing.push('_extensions');
  if (w?._socket !== socket) missing.push('_socket');
  return missing;
}

const EMPTY = Buffer.alloc(0);
// What setSocket reads of a ws server's options.
const PROBE_OPTIONS = Object.freeze({ maxPayload: 0, skipUTF8Validation: false, allowSynchronousEvents: true });

/** Builds a throwaway server-side WebSocket as the handshake does and names what it lacks. */
function probe(): string[] {
  const prototype = WebSocket.prototype as unknown;
  if (typeof (prototype as Partial<WsServerSide>).setSocket !== 'function') {
    return missingWsInternals(undefined, undefined, prototype);
  }
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  try {
    const ws = new WebSocket(null as unknown as string, undefined, PROBE_OPTIONS);
    (ws as unknown as WsServerSide).setSocket(socket, EMPTY, PROBE_OPTIONS);
    ws.on('error', () => {});
    return missingWsInternals(probeOverride?.(ws) ?? ws, socket, prototype);
  } catch (err) {
    return [`a server-side WebSocket could not be built (${err instanceof Error ? err.message : String(err)})`];
  } finally {
    socket.destroy();
  }
}

let fastPaths: boolean | undefined;
let probeOverride: ((ws: WebSocket) => unknown) | undefined;

/**
 * Whether the fast handshake and write paths may use ws's internals; the first call checks them
 * (and warns once if they are missing).
 */
export function wsFastPaths(): boolean {
  if (fastPaths === undefined) {
    const missing = probe();
    fastPaths = missing.length === 0;
    if (!fastPaths) {
      console.warn(`parley: ws internals missing (${missing.join(', ')}); WebSockets use ws's public API`);
    }
  }
  return fastPaths;
}

/**
 * For tests only: the check will see what `override` makes of the throwaway WebSocket (e.g. an
 * object without `_sender`), or the WebSocket itself when undefined; an earlier outcome is
 * forgotten, so the next WebSocket checks (and warns) again.
 */
export function overrideWsProbe(override: ((ws: WebSocket) => unknown) | undefined): void {
  probeOverride = override;
  fastPaths = undefined;
}
