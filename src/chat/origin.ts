/**
 * Which web pages may connect: the chat's origin policy, as Flask-SocketIO's
 * `cors_allowed_origins`. A request from a browser carries `Origin`; it is accepted when that is the
 * server's own origin (the scheme and `Host` the request came with, or behind trusted proxies the
 * `X-Forwarded-Proto` / `X-Forwarded-Host` they set), or one listed with `--cors-origin`, or any
 * when the list has `*`. Requests without `Origin` (mobile apps, servers, command-line clients) are
 * not a browser page's, and are accepted. Pure: the server wires it into its admission checks and
 * the engine's CORS option.
 */
import { firstForwarded } from './address.js';

/** Headers as node gives them. */
type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** What the policy reads of a request: its headers, and whether it came over TLS. */
export interface OriginRequest {
  readonly headers: Headers;
  readonly encrypted: boolean;
}

/** The `--cors-origin` value accepting every origin. */
export const ANY_ORIGIN = '*';

/** `scheme://authority`: the shape of an origin, checked before URL parsing. */
const ORIGIN_SHAPE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\\\s]+$/;

/**
 * The canonical form of an origin (`HTTP://Example.COM:80` → `http://example.com`): scheme and host
 * in lower case, the scheme's default port dropped, an international host in its ASCII form.
 * Undefined for anything that is not `scheme://host[:port]` (a path, even `/`, a query, user info,
 * `null`).
 */
export function canonicalOrigin(value: string): string | undefined {
  if (!ORIGIN_SHAPE.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return undefined;
  if (url.host === '') return undefined;
  // URL lower-cases hosts and drops default ports of the schemes it knows (http, https, ws, wss);
  // other schemes (capacitor://, chrome-extension://) keep their host as written.
  return `${url.protocol}//${url.host.toLowerCase()}`;
}

/** Thrown for a `--cors-origin` value that is not an origin, saying why. */
export class OriginSyntaxError extends Error {
  override readonly name = 'OriginSyntaxError';
}

/**
 * Checks one `--cors-origin` value: `*`, or an origin (`https://app.example`, `http://localhost:3000`,
 * a trailing slash allowed), returned canonical. Throws an {@link OriginSyntaxError} saying what is wrong otherwise.
 */
export function parseCorsOrigin(raw: string): string {
  const value = raw.trim();
  if (value === ANY_ORIGIN) return ANY_ORIGIN;
  const quoted = JSON.stringify(value);
  if (value === '') throw new OriginSyntaxError('an empty cors origin: give scheme://host[:port], or *');
  if (value.toLowerCase() === 'null') {
    throw new OriginSyntaxError(
      'the origin "null" (sandboxed frames, file:// pages) cannot be listed: any site can send it; only * accepts it',
    );
  }
  if (value.includes('*')) {
    throw new OriginSyntaxError(
      `cors origin ${quoted} has a wildcard: list each origin, or give * alone for any`,
    );
  }
  if (value.includes(',')) {
    throw new OriginSyntaxError(`cors origin ${quoted} has a comma: give one origin per --cors-origin`);
  }
  // Written with a trailing slash, as a URL often is: the origin is the same.
  const canonical = canonicalOrigin(value.endsWith('/') ? value.slice(0, -1) : value);
  if (canonical === undefined) {
    throw new OriginSyntaxError(
      `cors origin ${quoted} is not an origin: give scheme://host[:port] without a path (e.g. https://app.example)`,
    );
  }
  return canonical;
}

/** Splits the comma-separated `CHAT_CORS_ORIGIN` and checks each origin. */
export function parseCorsOriginList(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(parseCorsOrigin);
}

/** The longest origin quoted back in a refusal. */
const MAX_SHOWN = 200;

/** Decides, per request, whether the page it comes from may use the chat. */
export class OriginPolicy {
  private constructor(
    private readonly listed: ReadonlySet<string>,
    private readonly any: boolean,
    private readonly trustProxy: number,
  ) {}

  /**
   * The policy for `corsOrigins` (canonical or not; `*` for any) and `trustProxy` hops whose
   * `X-Forwarded-*` headers are believed. Throws an {@link OriginSyntaxError} for a bad origin.
   */
  static of(corsOrigins: readonly string[], trustProxy: number): OriginPolicy {
    const parsed = corsOrigins.map(parseCorsOrigin);
    return new OriginPolicy(
      new Set(parsed.filter((o) => o !== ANY_ORIGIN)),
      parsed.includes(ANY_ORIGIN),
      trustProxy,
    );
  }

  /**
   * The request's own origins, canonical: `http(s)://<Host>` by the connection's scheme, and with
   * trusted proxies `<X-Forwarded-Proto or scheme>://<X-Forwarded-Host or Host>` (first values).
   * A header that does not make an origin (`Host: a/b`, `Host: user@a`) adds none.
   */
  ownOrigins(req: OriginRequest): string[] {
    const scheme = req.encrypted ? 'https' : 'http';
    const raw = req.headers.host;
    const host = typeof raw === 'string' ? raw : undefined;
    const own: string[] = [];
    const add = (s: string, h: string | undefined) => {
      const origin = h === undefined ? undefined : canonicalOrigin(`${s}://${h}`);
      if (origin !== undefined && !own.includes(origin)) own.push(origin);
    };
    add(scheme, host);
    if (this.trustProxy > 0) {
      add(
        firstForwarded(req.headers, 'x-forwarded-proto') ?? scheme,
        firstForwarded(req.headers, 'x-forwarded-host') ?? host,
      );
    }
    return own;
  }

  /** Whether a request with this `Origin` header (undefined: none) may go on. */
  allows(origin: string | undefined, req: OriginRequest): boolean {
    if (origin === undefined || this.any) return true;
    const canonical = canonicalOrigin(origin);
    if (canonical === undefined) return false;
    return this.listed.has(canonical) || this.ownOrigins(req).includes(canonical);
  }

  /** The refusal message for the request's `Origin`, or undefined when it is allowed. */
  refusal(req: OriginRequest): string | undefined {
    const header = req.headers.origin;
    const origin = Array.isArray(header) ? header.join(', ') : header;
    if (this.allows(origin, req)) return undefined;
    const raw = origin ?? '';
    if (raw === 'null') {
      return 'origin null (a sandboxed frame or a file:// page) is not allowed: only --cors-origin "*" (or CHAT_CORS_ORIGIN=*) accepts it';
    }
    const shown = JSON.stringify(raw.length > MAX_SHOWN ? `${raw.slice(0, MAX_SHOWN)}…` : raw);
    const canonical = canonicalOrigin(raw);
    if (canonical === undefined) return `origin ${shown} is not an origin (scheme://host[:port]): refused`;
    if (canonical.length > MAX_SHOWN) {
      return `origin ${shown} is not allowed: start the server with --cors-origin <origin> (or CHAT_CORS_ORIGIN)`;
    }
    const message = `origin ${canonical} is not allowed: start the server with --cors-origin ${canonical} (or CHAT_CORS_ORIGIN)`;
    return this.sameHostOtherScheme(canonical, req)
      ? `${message}; behind a TLS proxy, --trust-proxy reads its X-Forwarded-Proto`
      : message;
  }

  /** A page on our host reached over another scheme: most likely a TLS proxy we were not told of. */
  private sameHostOtherScheme(origin: string, req: OriginRequest): boolean {
    if (this.trustProxy > 0) return false;
    const host = origin.slice(origin.indexOf('://') + 3);
    return this.ownOrigins(req).some((own) => own.slice(own.indexOf('://') + 3) === host);
  }
}

/** For the startup banner: which pages may connect, given the `corsOrigins` option. */
export function describeCorsOrigins(corsOrigins: readonly string[]): string {
  const parsed = [...new Set(corsOrigins.map(parseCorsOrigin))];
  if (parsed.includes(ANY_ORIGIN)) return 'any (*)';
  if (parsed.length === 0)
    return 'same-origin only (add --cors-origin <origin> or CHAT_CORS_ORIGIN for other pages)';
  return `same-origin and ${parsed.join(', ')}`;
}

/** The policy's view of a node request (or the engine's RequestSource): headers, and TLS or not. */
export function originRequest(req: { readonly headers: Headers; readonly socket: object }): OriginRequest {
  const socket = req.socket as { encrypted?: unknown };
  return { headers: req.headers, encrypted: socket.encrypted === true };
}
