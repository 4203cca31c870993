import type { EngineError } from './errors.js';
import type { RequestSource } from './http/exchange.js';
import type { EngineProtocol, TransportName } from './types.js';

/**
 * A request target (`req.url`) read once, by the engine, and handed to every layer above: the path,
 * the query string, and the query parameters decoded as WHATWG URLSearchParams decodes them.
 * Unlike `new URL(target, base)`, reading it never throws: a target such as `//` or `//[` is a path
 * like any other.
 */
export class RequestTarget {
  private parsedQuery: URLSearchParams | undefined;

  /** `end` is where the path ends (the `?`, or the end of the target). */
  private constructor(
    /** The target as the client sent it. */
    readonly url: string,
    private readonly end: number,
    private readonly searchEnd: number,
  ) {}

  /**
   * Reads an origin-form target (`/path?query`); undefined for anything else (absolute-form
   * `http://host/...`, asterisk-form `*`, an empty target), which is no path of the engine's. A
   * fragment (`#...`), which clients do not send, is dropped as URL parsing drops it.
   */
  static parse(url: string | undefined): RequestTarget | undefined {
    if (url === undefined || url.charCodeAt(0) !== 0x2f /* / */) return undefined;
    const hash = url.indexOf('#');
    const searchEnd = hash === -1 ? url.length : hash;
    const q = url.indexOf('?');
    return new RequestTarget(url, q === -1 || q > searchEnd ? searchEnd : q, searchEnd);
  }

  /** The path, as sent (not percent-decoded). */
  get pathname(): string {
    return this.url.slice(0, this.end);
  }

  /** The query string without its `?`. */
  get search(): string {
    return this.end >= this.searchEnd ? '' : this.url.slice(this.end + 1, this.searchEnd);
  }

  /** Every query parameter. Built on first use: routing does not need it. */
  get query(): URLSearchParams {
    // The leading `?` keeps a query that starts with another `?` whole (the constructor drops one).
    this.parsedQuery ??= new URLSearchParams(`?${this.search}`);
    return this.parsedQuery;
  }

  /**
   * The value of a query parameter, or null. When a name repeats, the last value wins, as in
   * engine.io (`Object.fromEntries(searchParams)`) and socket.io's `handshake.query`.
   */
  param(name: string): string | null {
    const search = this.search;
    if (this.parsedQuery !== undefined || search.includes('%') || search.includes('+')) {
      const all = this.query.getAll(name);
      return all.length === 0 ? null : all[all.length - 1]!;
    }
    // Without escapes, names and values are what they look like: read in place, without
    // building a URLSearchParams (every polling request pays this).
    let value: string | null = null;
    let start = 0;
    while (start <= search.length) {
      let end = search.indexOf('&', start);
      if (end === -1) end = search.length;
      if (end > start) {
        const eq = search.indexOf('=', start);
        const split = eq === -1 || eq > end ? end : eq;
        if (split - start === name.length && search.startsWith(name, start)) {
          value = split === end ? '' : search.slice(split + 1, end);
        }
      }
      start = end + 1;
    }
    return value;
  }

  /**
   * The query as one object, as socket.io's `handshake.query` reads it: every name with its last
   * value.
   */
  queryObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of this.query) {
      // An own data property even for `__proto__`: no name can reach the object's prototype.
      Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
    }
    return out;
  }

  /** Whether the path lies under `basePath` (a path without trailing slash, e.g. `/engine.io`; '' for '/'). */
  isUnder(basePath: string): boolean {
    const end = this.end;
    const url = this.url;
    if (basePath === '') return true;
    if (!url.startsWith(basePath)) return false;
    return end === basePath.length || (end > basePath.length && url.charCodeAt(basePath.length) === 0x2f);
  }
}

/** Whether a request target lies under `basePath`; an unreadable target lies under no path. */
export function matchesPath(url: string | undefined, basePath: string): boolean {
  return RequestTarget.parse(url)?.isUnder(basePath) ?? false;
}

/** An Engine.IO HTTP request or upgrade, parsed once. */
export interface RequestInfo {
  /** The HTTP method, upper case. */
  readonly method: string;
  /** The request target. */
  readonly target: RequestTarget;
  /** The transport named by the `transport` query parameter. */
  readonly transport: TransportName;
  /** The `sid` query parameter; undefined for a handshake. */
  readonly sid: string | undefined;
  /** Whether this is a WebSocket upgrade request. */
  readonly isUpgrade: boolean;
  /** The Engine.IO revision the request speaks (`EIO`): 3 only when the server allows it. */
  readonly protocol: EngineProtocol;
}

/** The result of {@link parseRequest}. */
export type ParsedRequest = { ok: true; value: RequestInfo } | { ok: false; error: EngineError };

const TRANSPORTS: readonly TransportName[] = ['polling', 'websocket'];

const TRANSPORT_HANDSHAKE_ERROR: EngineError = Object.freeze({
  code: 'BAD_REQUEST',
  context: Object.freeze({ name: 'TRANSPORT_HANDSHAKE_ERROR' }),
});

// Same rule as node's header validation: tab, visible ASCII and obs-text.
const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Checks an Engine.IO request against its target, giving the {@link RequestInfo} or the refusal it
 * deserves without looking at sessions (unknown sid and transport mismatches are the server's to
 * decide). `EIO=3` is accepted only with `allowEIO3`.
 */
export function parseRequest(
  req: Pick<RequestSource, 'method' | 'headers'>,
  target: RequestTarget,
  transports: readonly TransportName[],
  isUpgrade: boolean,
  allowEIO3 = false,
): ParsedRequest {
  const transport = target.param('transport');
  if (
    transport === null ||
    !TRANSPORTS.includes(transport as TransportName) ||
    !transports.includes(transport as TransportName)
  ) {
    return { ok: false, error: { code: 'TRANSPORT_UNKNOWN', context: { transport } } };
  }
  const eio = target.param('EIO');
  const protocol: EngineProtocol | undefined = eio === '4' ? 4 : eio === '3' && allowEIO3 ? 3 : undefined;
  // engine.io reads any revision but 4 as 3, which it refuses unless allowEIO3.
  if (protocol === undefined) {
    return { ok: false, error: { code: 'UNSUPPORTED_PROTOCOL_VERSION', context: { protocol: 3 } } };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && INVALID_HEADER_CHAR.test(origin)) {
    return { ok: false, error: { code: 'BAD_REQUEST', context: { name: 'INVALID_ORIGIN', origin } } };
  }
  const sid = target.param('sid') || undefined;
  const method = (req.method ?? 'GET').toUpperCase();
  if (sid === undefined) {
    if (method !== 'GET') return { ok: false, error: { code: 'BAD_HANDSHAKE_METHOD', context: { method } } };
    // A websocket handshake must be an upgrade, and an upgrade must ask for websocket.
    if ((transport === 'websocket') !== isUpgrade) return { ok: false, error: TRANSPORT_HANDSHAKE_ERROR };
  } else if (isUpgrade && transport !== 'websocket') {
    return { ok: false, error: TRANSPORT_HANDSHAKE_ERROR };
  }
  return {
    ok: true,
    value: { method, target, transport: transport as TransportName, sid, isUpgrade, protocol },
  };
}
