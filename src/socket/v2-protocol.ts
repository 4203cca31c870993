/**
 * Pure pieces of the Socket.IO v4 protocol (socket.io 2.x clients, over Engine.IO v3), where it
 * differs from v5 as socket.io 4.8 serves it with `allowEIO3`:
 *
 * - a namespace carries the client's query (`0/admin?token=x,`): its path is the namespace, its
 *   parameters the CONNECT's auth;
 * - the server's CONNECT has no payload (the client makes its socket id itself: `/nsp#<sid>`, or the
 *   Engine.IO id for '/');
 * - a refusal's CONNECT_ERROR carries the error's data, or else its message, as is.
 *
 * Packets are otherwise the same, so the v5 codec (packet.ts) decodes and assembles them.
 */
import { OutboundMessage } from '../engine/index.js';
import { EncodedPacket, socketIoFormat, type WireFormat } from './adapter.js';
import { EncodeError } from './encode-error.js';
import { assemblePacket, type ConnectErrorData, type Packet } from './packet.js';
import type { ConnectError } from './types.js';

/** A namespace as the v2 protocol names it: the path, and the query the client put after it. */
export interface V2Namespace {
  readonly name: string;
  /** The query parameters, each with its last value; undefined when there is no query. */
  readonly query: Record<string, string> | undefined;
}

// A path that the URL parser would give back unchanged: no query, no dot segment, nothing to escape.
const PLAIN_NAMESPACE = /^(?:\/[A-Za-z0-9_~!$&'()*+;=:@-][A-Za-z0-9_.~!$&'()*+;=:@-]*)*\/?$/;
const URL_BASE = 'https://socket.io';

/**
 * Reads a v2 namespace the way socket.io 4.8 does (as a URL path relative to a fixed origin):
 * `/admin?x=1` is namespace `/admin` with query `{ x: '1' }`.
 */
export function parseV2Namespace(nsp: string): V2Namespace {
  if (PLAIN_NAMESPACE.test(nsp)) return { name: nsp, query: undefined };
  let url: URL;
  try {
    url = new URL(nsp, URL_BASE);
  } catch {
    return { name: nsp, query: undefined };
  }
  if (url.search === '') return { name: url.pathname, query: undefined };
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    // An own data property even for `__proto__`: no name can reach the object's prototype.
    Object.defineProperty(query, key, { value, writable: true, enumerable: true, configurable: true });
  }
  return { name: url.pathname, query };
}

/**
 * A packet from a v2 client as the server handles every packet: its namespace's path as `nsp`, and
 * for a CONNECT the namespace's query as its auth (no query: no auth, as a v5 `40`).
 */
export function fromV2Packet(packet: Packet): Packet {
  const { name, query } = parseV2Namespace(packet.nsp);
  if (packet.type === 'connect') return query === undefined ? { type: 'connect', nsp: name } : { type: 'connect', nsp: name, data: query };
  return name === packet.nsp ? packet : { ...packet, nsp: name };
}

/** The id socket.io gives the socket of a v2 client: the one the client makes itself. */
export function v2SocketId(nsp: string, sessionId: string): string {
  return nsp === '/' ? sessionId : `${nsp}#${sessionId}`;
}

/** The v4 protocol over Engine.IO: as v5, except the CONNECT without payload. */
export const socketIoV2Format: WireFormat = {
  name: 'socket.io v2',
  encode(prepared) {
    if (prepared.packet.type !== 'connect') return socketIoFormat.encode(prepared);
    return assemblePacket({ ...prepared, json: undefined }).map((part) => new OutboundMessage(part));
  },
};

/**
 * The CONNECT_ERROR of a namespace refusal for a v2 client: the error's data when it has some (a
 * truthy one, as socket.io tests it), else its message; the message alone when the data cannot be
 * encoded.
 */
export function v2RefusalPacket(nsp: string, err: ConnectError): EncodedPacket {
  const message = String(err.message);
  // The v4 protocol's CONNECT_ERROR carries any JSON value; the Packet type describes v5's object.
  const packetOf = (payload: unknown): Packet => ({ type: 'connect_error', nsp, data: payload as ConnectErrorData });
  if (!err.data) return new EncodedPacket(packetOf(message));
  try {
    return new EncodedPacket(packetOf(err.data));
  } catch (thrown) {
    if (!(thrown instanceof EncodeError)) throw thrown;
    return new EncodedPacket(packetOf(message));
  }
}
