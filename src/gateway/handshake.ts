import type { Handshake } from '../socket/index.js';
import type { ResolvedGatewayOptions } from './options.js';

/** The parts of a client's handshake the gateway sends upstream. */
export interface ForwardedHandshake {
  readonly auth: Record<string, unknown>;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
}

/**
 * Query parameters that belong to the protocol of the client's own connection (Engine.IO's, the
 * plain protocol's `nsp`), not to the application: never forwarded.
 */
const PROTOCOL_PARAMS: ReadonlySet<string> = new Set(['EIO', 'transport', 'sid', 't', 'j', 'b64', 'nsp']);

function lastValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/**
 * What the upstream handshake carries for a client (pure):
 * - auth: a Socket.IO client's own auth payload; a plain client has none of its own (parley makes
 *   its query its auth, which is forwarded as the query instead); then each `authFromQuery`
 *   parameter the auth lacks;
 * - query: the client's parameters but the protocols' own, when `forwardQuery`;
 * - headers: those named by `forwardHeaders`, and `X-Forwarded-For` extended with the client's
 *   address when `forwardedFor`.
 */
export function forwardedHandshake(
  handshake: Handshake,
  options: Pick<ResolvedGatewayOptions, 'authFromQuery' | 'forwardQuery' | 'forwardHeaders' | 'forwardedFor'>,
): ForwardedHandshake {
  const socketIoClient = handshake.query.EIO !== undefined;
  const auth: Record<string, unknown> = socketIoClient ? { ...handshake.auth } : {};
  for (const name of options.authFromQuery) {
    const value = lastValue(handshake.query[name]);
    if (value !== undefined && !(name in auth)) auth[name] = value;
  }
  const query: Record<string, string> = {};
  if (options.forwardQuery) {
    for (const [name, value] of Object.entries(handshake.query)) {
      const last = lastValue(value);
      if (!PROTOCOL_PARAMS.has(name) && last !== undefined) query[name] = last;
    }
  }
  const headers: Record<string, string> = {};
  for (const name of options.forwardHeaders) {
    const value = handshake.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (options.forwardedFor && handshake.address !== '') {
    const before = lastValue(handshake.headers['x-forwarded-for']);
    headers['x-forwarded-for'] = before ? `${before}, ${handshake.address}` : handshake.address;
  }
  return { auth, query, headers };
}
