import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { EngineError } from './errors.js';
import type { AllowRequest, ResolvedEngineOptions } from './options.js';
import type { EnginePacket } from './packet.js';
import type { TransportName } from './types.js';

/** The steps of a handshake that need no session table: allowRequest, the open packet, the cookie. */

const FORBIDDEN: EngineError = Object.freeze({ code: 'FORBIDDEN', context: Object.freeze({ message: undefined }) });

/** Runs the `allowRequest` hook: `done()` when the request may proceed, `done(error)` when refused. */
export function checkAllowed(
  allowRequest: AllowRequest | undefined,
  req: IncomingMessage | undefined,
  done: (error: EngineError | undefined) => void,
): void {
  if (allowRequest === undefined) {
    done(undefined);
    return;
  }
  if (req === undefined) {
    // Cannot happen: the engine answers HTTP itself only when allowRequest is unset.
    done({ code: 'FORBIDDEN' });
    return;
  }
  let called = false;
  const callback = (err: string | null | undefined, success: boolean): void => {
    if (called) return;
    called = true;
    if (success) done(undefined);
    else done(err ? { code: 'FORBIDDEN', message: String(err), context: { message: err } } : FORBIDDEN);
  };
  try {
    allowRequest(req, callback);
  } catch {
    callback(undefined, false);
  }
}

/** The open packet of a new session on `transport`. */
export function openPacket(o: ResolvedEngineOptions, sid: string, transport: TransportName): EnginePacket {
  const upgrades = transport === 'polling' && o.allowUpgrades && o.transports.includes('websocket');
  return {
    type: 'open',
    data: JSON.stringify({
      sid,
      upgrades: upgrades ? ['websocket'] : [],
      pingInterval: o.pingInterval,
      pingTimeout: o.pingTimeout,
      maxPayload: o.maxPayload,
    }),
  };
}

/** The `Set-Cookie` value of a new session, when the `cookie` option is on. */
export function sessionCookie(c: ResolvedEngineOptions['cookie'], sid: string): string | undefined {
  if (c === false) return undefined;
  const parts = [`${c.name}=${encodeURIComponent(sid)}`, `Path=${c.path}`];
  if (c.domain !== undefined) parts.push(`Domain=${c.domain}`);
  if (c.maxAge !== undefined) parts.push(`Max-Age=${Math.floor(c.maxAge)}`);
  if (c.httpOnly) parts.push('HttpOnly');
  if (c.secure === true) parts.push('Secure');
  parts.push(`SameSite=${c.sameSite.charAt(0).toUpperCase()}${c.sameSite.slice(1)}`);
  return parts.join('; ');
}

/** Adds the session cookie to headers that may hold a middleware's `Set-Cookie` (any case). */
export function addCookie(headers: OutgoingHttpHeaders, cookie: string): void {
  const name = Object.keys(headers).find((key) => key.toLowerCase() === 'set-cookie');
  if (name === undefined) {
    headers['Set-Cookie'] = cookie;
    return;
  }
  const prior = headers[name];
  headers[name] = [...(Array.isArray(prior) ? prior : prior === undefined ? [] : [String(prior)]), cookie];
}
