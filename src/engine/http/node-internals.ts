import http, { type Server as HttpServer } from 'node:http';
import { Duplex } from 'node:stream';

/**
 * The node internals the engine's own HTTP path relies on, in one place: node:http's connection
 * listener (`http._connectionListener`), given a socket the engine read first, with the bytes read
 * so far unshifted back onto it. Checked once per process ({@link nodeConnectionListener}).
 */

/** node:http's listener of a server's 'connection' event. */
export type ConnectionListener = (this: HttpServer, socket: Duplex) => void;

/**
 * Gives `socket` to node:http's connection listener with `unread` as if it had just arrived: the
 * one use of node internals here (`http._connectionListener`, and node's parser reading bytes
 * unshifted onto the socket), checked once by {@link nodeConnectionListener}.
 */
export function giveToNode(listener: ConnectionListener, server: HttpServer, socket: Duplex, unread?: Buffer): void {
  listener.call(server, socket);
  if (unread !== undefined) socket.unshift(unread);
  if (socket.isPaused()) socket.resume();
}

const defaultListenerLookup = (): unknown => (http as { _connectionListener?: unknown })._connectionListener;
let listenerLookup = defaultListenerLookup;
/** The per-process outcome of the internals check (undefined: not run yet). */
let internalsChecked: ConnectionListener | false | undefined;

/**
 * For tests only: makes the internals check find `http._connectionListener` missing (or restores
 * the real lookup), and forgets an earlier outcome so the check runs (and warns) again.
 */
export function forceNodeInternalsMissing(missing: boolean): void {
  listenerLookup = missing ? () => undefined : defaultListenerLookup;
  internalsChecked = undefined;
}

const PROBE = Buffer.from('parley self-check\r\n\r\n');

/**
 * Checks, once per process, that node still has what handing a connection over relies on: a
 * connection listener `http._connectionListener` that plain servers use, and that reads bytes
 * unshifted onto the socket it is given. The check gives a throwaway server a throwaway stream with
 * a request line node's parser refuses (no request reaches APM hooks), and sees node report that
 * refusal at once. If anything is missing, one warning line, and node:http keeps every connection.
 */
export function nodeConnectionListener(): ConnectionListener | false {
  if (internalsChecked !== undefined) return internalsChecked;
  let missing: string | undefined;
  const listener = listenerLookup();
  if (typeof listener !== 'function') {
    missing = 'http._connectionListener is not a function';
  } else {
    const probe = http.createServer();
    if (!probe.listeners('connection').includes(listener as ConnectionListener)) {
      missing = "http._connectionListener is not a plain server's connection listener";
    } else {
      let refused = false;
      probe.on('clientError', () => {
        refused = true;
      });
      const socket = new Duplex({
        read() {},
        write(_chunk, _encoding, callback) {
          callback();
        },
      });
      try {
        giveToNode(listener as ConnectionListener, probe, socket, PROBE);
        // Reading in flowing mode emits 'data' now: node's parser sees the bytes in this call.
        socket.read();
      } catch {
        // refused stays false
      }
      socket.destroy();
      if (!refused) missing = "node's connection listener did not read the bytes unshifted onto its socket";
    }
  }
  if (missing !== undefined) {
    console.warn(`parley: ownHttp is off, node:http answers every request (${missing})`);
    internalsChecked = false;
  } else {
    internalsChecked = listener as ConnectionListener;
  }
  return internalsChecked;
}
