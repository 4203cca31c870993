import type { EngineError } from './errors.js';
import type { RequestSource } from './http/exchange.js';
import type { TransportName } from './types.js';

/** An Engine.IO HTTP request or upgrade, parsed once. */
export interface RequestInfo {
  /** The HTTP method, upper case. */
  readonly method: string;
  /** The path part of the URL. */
  readonly pathname: string;
  /** The transport named by the `transport` query parameter. */
  readonly transport: TransportName;
  /** The `sid` query parameter; undefined for a handshake. */
  readonly sid: string | undefined;
  /** The protocol version (`EIO`); only 4 is accepted. */
  readonly eio: 4;
  /** Whether this is a WebSocket upgrade request. */
  readonly isUpgrade: boolean;
  /** The `b64` query parameter (ignored by EIO 4, which always uses base64 in polling). */
  readonly b64: boolean;
  /** The `Origin` header. */
  readonly origin: string | undefined;
  /** Every query parameter. */
  readonly query: URLSearchParams;
}

/** The result of {@link parseRequest}. */
export type ParsedRequest = { ok: true; value: RequestInfo } | { ok: false; error: EngineError };

const TRANSPORTS: readonly TransportName[] = ['polling', 'websocket'];

function splitUrl(url: string | undefined): { pathname: string; search: string } {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? { pathname: raw, search: '' } : { pathname: raw.slice(0, q), search: raw.slice(q + 1) };
}

/** Whether the request URL lies under `basePath` (a path without trailing slash, e.g. `/engine.io`). */
export function matchesPath(url: string | undefined, basePath: string): boolean {
  const { pathname } = splitUrl(url);
  return (
    pathname === basePath || pathname.startsWith(`${basePath}/`) || (basePath === '' && pathname === '/')
  );
}

// Same rule as node's header validation: tab, visible ASCII and obs-text.
const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

interface EngineParams {
  transport: string | null;
  EIO: string | null;
  sid: string | null;
  b64: string | null;
}

/**
 * The four parameters the engine routes on, read without building a URLSearchParams (every
 * polling request pays this). Queries with escapes (`%`, `+`) go through URLSearchParams, so
 * decoding is exactly WHATWG's; the first occurrence of a name wins, as with `get`.
 */
function engineParams(search: string): EngineParams {
  if (search.includes('%') || search.includes('+')) {
    const query = new URLSearchParams(search);
    return { transport: query.get('transport'), EIO: query.get('EIO'), sid: query.get('sid'), b64: query.get('b64') };
  }
  const out: EngineParams = { transport: null, EIO: null, sid: null, b64: null };
  let start = 0;
  while (start <= search.length) {
    let end = search.indexOf('&', start);
    if (end === -1) end = search.length;
    if (end > start) {
      const eq = search.indexOf('=', start);
      const split = eq === -1 || eq > end ? end : eq;
      const name = search.slice(start, split);
      if (name === 'transport' || name === 'EIO' || name === 'sid' || name === 'b64') {
        if (out[name] === null) out[name] = split === end ? '' : search.slice(split + 1, end);
      }
    }
    start = end + 1;
  }
  return out;
}

class ParsedRequestInfo implements RequestInfo {
  readonly eio = 4 as const;
  private parsedQuery: URLSearchParams | undefined;

  constructor(
    readonly method: string,
    readonly pathname: string,
    readonly transport: TransportName,
    readonly sid: string | undefined,
    readonly isUpgrade: boolean,
    readonly b64: boolean,
    readonly origin: string | undefined,
    private readonly search: string,
  ) {}

  /** Built on first use: routing does not need it. */
  get query(): URLSearchParams {
    this.parsedQuery ??= new URLSearchParams(this.search);
    return this.parsedQuery;
  }
}

/**
 * Parses the request into a {@link RequestInfo}, or the refusal it deserves without looking at
 * sessions (unknown sid and transport mismatches are the server's to decide).
 */
export function parseRequest(
  req: Pick<RequestSource, 'url' | 'method' | 'headers'>,
  transports: readonly TransportName[],
  isUpgrade: boolean,
): ParsedRequest {
  const { pathname, search } = splitUrl(req.url);
  const params = engineParams(search);
  const transport = params.transport;
  if (
    transport === null ||
    !TRANSPORTS.includes(transport as TransportName) ||
    !transports.includes(transport as TransportName)
  ) {
    return { ok: false, error: { code: 'TRANSPORT_UNKNOWN' } };
  }
  if (params.EIO !== '4') return { ok: false, error: { code: 'UNSUPPORTED_PROTOCOL_VERSION' } };
  const origin = req.headers.origin;
  if (origin !== undefined && INVALID_HEADER_CHAR.test(origin)) {
    return { ok: false, error: { code: 'BAD_REQUEST' } };
  }
  const sid = params.sid || undefined;
  const method = (req.method ?? 'GET').toUpperCase();
  if (sid === undefined) {
    if (method !== 'GET') return { ok: false, error: { code: 'BAD_HANDSHAKE_METHOD' } };
    // A websocket handshake must be an upgrade, and an upgrade must ask for websocket.
    if ((transport === 'websocket') !== isUpgrade) return { ok: false, error: { code: 'BAD_REQUEST' } };
  } else if (isUpgrade && transport !== 'websocket') {
    return { ok: false, error: { code: 'BAD_REQUEST' } };
  }
  const b64 = params.b64;
  return {
    ok: true,
    value: new ParsedRequestInfo(
      method,
      pathname,
      transport as TransportName,
      sid,
      isUpgrade,
      b64 !== null && b64 !== '0' && b64 !== 'false',
      origin,
      search,
    ),
  };
}
