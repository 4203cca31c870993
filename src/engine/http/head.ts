import type { IncomingHttpHeaders } from 'node:http';

/**
 * The head of an HTTP/1.1 request the engine answers itself. Only a strict subset is parsed here;
 * anything else (other versions, chunked bodies, `Expect`, folded or malformed lines) is
 * 'foreign' and goes to node:http untouched, which answers it as it always would.
 */
export interface RequestHead {
  /** Tells a head from the other {@link HeadParse} results (the head is its own result). */
  readonly kind: 'head';
  readonly method: 'GET' | 'POST' | 'OPTIONS';
  /** The request target as sent (what node calls `req.url`). */
  readonly url: string;
  /** Header names lower-cased, duplicates combined as node:http does. */
  readonly headers: IncomingHttpHeaders;
  /** The declared body length; 0 when there is no Content-Length. */
  readonly contentLength: number;
  /** The client asked to close the connection after this request (`Connection: close`). */
  readonly close: boolean;
  /** A GET asking to switch protocols (`Connection: upgrade` and `Upgrade`), WebSocket or other. */
  readonly upgrade: boolean;
  /** Bytes of the head, CRLFCRLF included. */
  readonly length: number;
}

/** What {@link parseRequestHead} found at the start of a buffer. */
export type HeadParse =
  | RequestHead
  /** More bytes are needed (and may come: the limit is not reached). */
  | { readonly kind: 'incomplete' }
  /** Not in the subset: hand the bytes to node:http. */
  | { readonly kind: 'foreign' };

const INCOMPLETE: HeadParse = Object.freeze({ kind: 'incomplete' });
const FOREIGN: HeadParse = Object.freeze({ kind: 'foreign' });

const OWNS_ALL = (): boolean => true;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: tab, visible ASCII and obs-text (node's rule); CR and LF only as line ends
// (checked line by line).
const INVALID_HEAD_CHAR = /[^\t\r\n\x20-\x7e\x80-\xff]/;
const DIGITS = /^[0-9]{1,15}$/;
// origin-form only, visible ASCII (a tab or obs-text in the target is node:http's to judge).
const TARGET = /^\/[\x21-\x7e]*$/;
const MAX_HEADER_LINES = 2000;

// node:http keeps the first of these when a request repeats them (IncomingMessage#_addHeaderLine).
const FIRST_WINS = new Set([
  'content-type',
  'content-length',
  'user-agent',
  'referer',
  'host',
  'authorization',
  'proxy-authorization',
  'if-modified-since',
  'if-unmodified-since',
  'from',
  'location',
  'max-forwards',
  'retry-after',
  'etag',
  'last-modified',
  'server',
  'age',
  'expires',
]);

/** Header names as clients usually spell them, lower-cased once (all valid tokens, none foreign). */
const KNOWN_NAMES = new Map(
  [
    'Host',
    'Connection',
    'Content-Length',
    'Content-Type',
    'Accept',
    'Accept-Encoding',
    'Accept-Language',
    'User-Agent',
    'Origin',
    'Referer',
    'Cookie',
    'Cache-Control',
    'Pragma',
    'Upgrade',
    'Sec-WebSocket-Key',
    'Sec-WebSocket-Version',
    'Sec-WebSocket-Extensions',
    'Sec-Fetch-Site',
    'Sec-Fetch-Mode',
    'Sec-Fetch-Dest',
  ].flatMap((name) => [
    [name, name.toLowerCase()],
    [name.toLowerCase(), name.toLowerCase()],
  ]),
);

/** Headers node:http parses the values of itself (connection semantics, body length). */
const SPECIAL_VALUES = new Set(['connection', 'content-length', 'upgrade', 'proxy-connection']);

/** Headers whose presence puts the request outside the subset. */
const FOREIGN_HEADERS = new Set(['transfer-encoding', 'expect']);

function addHeader(headers: IncomingHttpHeaders, name: string, value: string): void {
  const current = headers[name];
  if (current === undefined) {
    headers[name] = name === 'set-cookie' ? [value] : value;
  } else if (name === 'set-cookie') {
    (current as string[]).push(value);
  } else if (!FIRST_WINS.has(name)) {
    headers[name] = `${current}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
}

/** The field value in `line` between `from` and `to`, without surrounding spaces and tabs (OWS; `trim` would also eat U+00A0). */
function trimOws(line: string, from: number, to: number): string {
  let start = from;
  let end = to;
  while (start < end && (line.charCodeAt(start) === 32 || line.charCodeAt(start) === 9)) start++;
  while (end > start && (line.charCodeAt(end - 1) === 32 || line.charCodeAt(end - 1) === 9)) end--;
  return line.slice(start, end);
}

interface ConnectionTokens {
  readonly close: boolean;
  readonly upgrade: boolean;
}

const NO_TOKENS: ConnectionTokens = Object.freeze({ close: false, upgrade: false });
const COMMON_CONNECTION: ReadonlyMap<string, ConnectionTokens> = new Map([
  ['keep-alive', NO_TOKENS],
  ['Keep-Alive', NO_TOKENS],
  ['close', Object.freeze({ close: true, upgrade: false })],
  ['Upgrade', Object.freeze({ close: false, upgrade: true })],
  ['upgrade', Object.freeze({ close: false, upgrade: true })],
]);

/** Whether the line from `start` has its first CR and LF only in the CRLF at `next` (or none, when last). */
function endsCleanly(text: string, start: number, next: number, end: number): boolean {
  const cr = text.indexOf('\r', start);
  const lf = text.indexOf('\n', start);
  return next === end ? cr === -1 && lf === -1 : cr === next && lf === next + 1;
}

function connectionTokens(value: string | undefined): ConnectionTokens {
  if (value === undefined) return NO_TOKENS;
  const common = COMMON_CONNECTION.get(value);
  if (common !== undefined) return common;
  let close = false;
  let upgrade = false;
  for (const token of value.toLowerCase().split(',')) {
    // Spaces and tabs only: `trim` would also strip U+00A0, which node does not take for space.
    const t = trimOws(token, 0, token.length);
    if (t === 'close') close = true;
    else if (t === 'upgrade') upgrade = true;
  }
  return { close, upgrade };
}

/**
 * Parses the request head at the start of `buf`: a GET, POST or OPTIONS in HTTP/1.1 for a target
 * `owns` accepts, with a Host, at most one Content-Length and neither Transfer-Encoding nor Expect;
 * an upgrade only as a GET without Content-Length. A head that does not end within `maxHeaderBytes` is foreign (node:http answers 431).
 */
export function parseRequestHead(
  buf: Buffer,
  maxHeaderBytes: number,
  owns: (url: string) => boolean = OWNS_ALL,
): HeadParse {
  // One latin1 string (node decodes header bytes the same way); searching it is cheaper than
  // searching the buffer.
  const window = buf.toString('latin1', 0, Math.min(buf.length, maxHeaderBytes));
  const end = window.indexOf('\r\n\r\n');
  if (end === -1) return buf.length >= maxHeaderBytes ? FOREIGN : INCOMPLETE;
  if (end + 4 > maxHeaderBytes) return FOREIGN;
  const text = window.slice(0, end);
  if (INVALID_HEAD_CHAR.test(text)) return FOREIGN;
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd === -1) lineEnd = end;
  if (!endsCleanly(text, 0, lineEnd, end)) return FOREIGN;
  const sp1 = text.indexOf(' ');
  const sp2 = text.indexOf(' ', sp1 + 1);
  if (sp1 === -1 || sp2 === -1 || sp2 > lineEnd || text.lastIndexOf(' ', lineEnd) !== sp2) return FOREIGN;
  const method = text.slice(0, sp1);
  if (method !== 'GET' && method !== 'POST' && method !== 'OPTIONS') return FOREIGN;
  const url = text.slice(sp1 + 1, sp2);
  if (!TARGET.test(url) || text.slice(sp2 + 1, lineEnd) !== 'HTTP/1.1') return FOREIGN;
  if (!owns(url)) return FOREIGN;
  const headers: IncomingHttpHeaders = {};
  let contentLength: string | undefined;
  let lines = 0;
  // Field lines are walked in place: no array of lines, no copy of a line.
  for (let start = lineEnd + 2; start < end; ) {
    let next = text.indexOf('\r\n', start);
    if (next === -1) next = end;
    if (++lines > MAX_HEADER_LINES || !endsCleanly(text, start, next, end)) return FOREIGN;
    const colon = text.indexOf(':', start);
    if (colon <= start || colon > next) return FOREIGN;
    const rawName = text.slice(start, colon);
    let name = KNOWN_NAMES.get(rawName);
    if (name === undefined) {
      if (!TOKEN.test(rawName)) return FOREIGN;
      name = rawName.toLowerCase();
      if (FOREIGN_HEADERS.has(name)) return FOREIGN;
    }
    const value = trimOws(text, colon + 1, next);
    // node's parser reads these values with its own state machines, whose whitespace handling
    // differs from plain trimming (a tab after `Upgrade`, say, makes a request no upgrade): only
    // the plain spelling, at most one space after the colon, is taken here.
    if (SPECIAL_VALUES.has(name) && value.length !== next - colon - (text.charCodeAt(colon + 1) === 32 ? 2 : 1)) {
      return FOREIGN;
    }
    if (name === 'content-length') {
      // One declaration only: a second one, even equal, is left to node:http's rules.
      if (contentLength !== undefined || !DIGITS.test(value)) return FOREIGN;
      contentLength = value;
    } else if (name === 'host' && headers.host !== undefined) {
      return FOREIGN;
    }
    addHeader(headers, name, value);
    start = next + 2;
  }
  if (headers.host === undefined) return FOREIGN;
  const connection = connectionTokens(headers.connection);
  // An upgrade as node:http sees one (Connection: upgrade and an Upgrade header), without a body;
  // an Upgrade header alone is an ordinary request to node, and left to it.
  const upgrade = connection.upgrade && headers.upgrade !== undefined;
  if (
    (connection.upgrade || headers.upgrade !== undefined) &&
    (!upgrade || method !== 'GET' || contentLength !== undefined)
  ) {
    return FOREIGN;
  }
  return {
    kind: 'head',
    method,
    url,
    headers,
    contentLength: contentLength === undefined ? 0 : Number(contentLength),
    close: connection.close,
    upgrade,
    length: end + 4,
  };
}
