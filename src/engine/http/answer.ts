import http, { type OutgoingHttpHeaders } from 'node:http';

/**
 * The answers of the engine's own HTTP path (src/engine/http/owned.ts), as bytes: pure functions
 * but for a clock read once per second and a cache of the last short answer per shared headers.
 */

// A clock read at most once per second: the Date header has whole seconds, and the sweep checks
// deadlines once a second, so requests need not read the time themselves.
let clockMs = 0;
let clockDate = '';
let clockTimer: NodeJS.Timeout | undefined;

function clockExpired(): void {
  clockTimer = undefined;
}

/** The time at the start of the current second (or later), read once per second. */
function coarseNow(): number {
  if (clockTimer === undefined) {
    clockMs = Date.now();
    clockDate = new Date(clockMs).toUTCString();
    clockTimer = setTimeout(clockExpired, 1000 - (clockMs % 1000)).unref();
  }
  return clockMs;
}

/** The Date header's value for now. */
function httpDate(): string {
  coarseNow();
  return clockDate;
}

/**
 * A deadline `ms` from now, or 0 (none) when the server's timeout is off. The coarse clock may be
 * up to a second behind; the deadline is never early (a client told `Keep-Alive: timeout=5` may
 * reuse the connection until then), at most two seconds late.
 */
export function deadlineIn(ms: number): number {
  return ms > 0 ? coarseNow() + 1000 + ms : 0;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Header lines of frozen (shared) header objects, built once. */
const frozenLines = new WeakMap<OutgoingHttpHeaders, string | undefined>();

/** The header lines of `headers`, or undefined when a name or value could split the head. */
function headerLines(headers: OutgoingHttpHeaders): string | undefined {
  const frozen = Object.isFrozen(headers);
  if (frozen && frozenLines.has(headers)) return frozenLines.get(headers);
  let lines = '';
  let valid = true;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (!HEADER_NAME.test(name)) valid = false;
    for (const one of Array.isArray(value) ? value : [value]) {
      const text = String(one);
      if (INVALID_VALUE.test(text)) valid = false;
      lines += `${name}: ${text}\r\n`;
    }
  }
  const result = valid ? lines : undefined;
  if (frozen) frozenLines.set(headers, result);
  return result;
}

/**
 * The whole answer in one buffer: the head in latin1 (as node writes headers), the body in UTF-8;
 * undefined when a header name or value is invalid.
 */
export function encodeResponse(
  status: number,
  headers: OutgoingHttpHeaders,
  body: string | Buffer,
  close: boolean,
  keepAliveSeconds: number,
): Buffer | undefined {
  const date = httpDate();
  // Short answers with shared headers (every POST's `ok`) are the same bytes all second long.
  const cacheable = typeof body === 'string' && body.length <= CACHED_BODY_MAX && Object.isFrozen(headers);
  if (cacheable) {
    const cached = cachedAnswers.get(headers);
    if (
      cached !== undefined &&
      cached.date === date &&
      cached.status === status &&
      cached.body === body &&
      cached.close === close &&
      cached.keepAliveSeconds === keepAliveSeconds
    ) {
      return cached.bytes;
    }
  }
  const lines = headerLines(headers);
  if (lines === undefined) return undefined;
  const out = build(status, lines, body, close, keepAliveSeconds, date);
  if (cacheable) cachedAnswers.set(headers, { date, status, body: body as string, close, keepAliveSeconds, bytes: out });
  return out;
}

/**
 * A last answer before the connection closes, from the server's own constants (no header of the
 * application to check): refusals of upgrades, 408, 500.
 */
export function closingAnswer(status: number, contentType?: string, body = ''): Buffer {
  const lines = contentType === undefined ? '' : `Content-Type: ${contentType}\r\n`;
  return build(status, lines, body, true, 0, httpDate());
}

/** The answer's bytes from checked header lines. */
function build(
  status: number,
  lines: string,
  body: string | Buffer,
  close: boolean,
  keepAliveSeconds: number,
  date: string,
): Buffer {
  const bodyLength = Buffer.byteLength(body);
  const keepAlive = close
    ? 'Connection: close\r\n'
    : keepAliveSeconds > 0
      ? `Connection: keep-alive\r\nKeep-Alive: timeout=${keepAliveSeconds}\r\n`
      : 'Connection: keep-alive\r\n';
  const head =
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n${lines}` +
    `Content-Length: ${bodyLength}\r\nDate: ${date}\r\n${keepAlive}\r\n`;
  const out = Buffer.allocUnsafe(head.length + bodyLength);
  out.write(head, 0, 'latin1');
  if (bodyLength === 0) return out;
  if (typeof body === 'string') out.write(body, head.length, 'utf8');
  else body.copy(out, head.length);
  return out;
}

const CACHED_BODY_MAX = 16;

/** The last short answer built per shared headers object; sockets only read the bytes. */
const cachedAnswers = new WeakMap<
  OutgoingHttpHeaders,
  {
    readonly date: string;
    readonly status: number;
    readonly body: string;
    readonly close: boolean;
    readonly keepAliveSeconds: number;
    readonly bytes: Buffer;
  }
>();
