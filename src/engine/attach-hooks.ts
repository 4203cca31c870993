/**
 * The seam to the layer above at attach time: the hooks that let it take some requests and
 * upgrades under the engine's path before the engine answers them (plain WebSocket clients,
 * forwarded requests of a peer listener).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpExchange, RequestSource } from './http/exchange.js';
import type { RequestTarget } from './request.js';

/** What the engine's middlewares left for an upgrade the layer above answers itself. */
export interface PassedUpgrade {
  /**
   * The header lines of its 101 answer: those the middlewares set, after `headers` and
   * `initial_headers` listeners saw them (as for a handshake of the engine's own).
   */
  headerLines(): string[];
  /** Properties the middlewares added to the request (e.g. `session`), for summarizeRequest. */
  readonly added: readonly string[] | undefined;
}

/** Lets the layer above take some requests under the engine's path before the engine sees them. */
export interface AttachHooks {
  /**
   * Called for each upgrade under the path that the engine's middlewares let through (forwarded
   * upgrades are not), with its target as the engine read it; returning true means the hook handled it.
   */
  interceptUpgrade?: (
    req: RequestSource,
    socket: Duplex,
    head: Buffer,
    target: RequestTarget,
    passed: PassedUpgrade,
  ) => boolean;
  /**
   * Called for each HTTP request under the path, after CORS (a preflight is answered before), with
   * the CORS headers its answer must carry; returning true means the hook answered it.
   */
  interceptRequest?: (exchange: HttpExchange, headers: OutgoingHttpHeaders, target: RequestTarget) => boolean;
}
