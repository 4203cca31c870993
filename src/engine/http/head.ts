import type { IncomingHttpHeaders } from 'node:http';

/**
 * The head of an HTTP/1.1 request the engine answers itself. Only a strict subset is parsed here;
 * anything else (other versions, chunked bodies, `Expect`, folded or malformed lines) is
 * 'foreign' and goes to node:http untouched, which answers it as it always would.
 */
export interface RequestHead {
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
  | { readonly kind: 'head'; readonly head: RequestHead }
  /** More bytes are needed (and may come: the limit is not reached). */
  | { readonly kind: 'incomplete' }
  /** Not in the subset: hand the bytes to node:http. */
  | { readonly kind: 'foreign' };

const INCOMPLETE: HeadParse = Object.freeze({ kind: 'incomplete' });
const FOREIGN: HeadParse = Object.freeze({ kind: 'foreign' });

const OWNS_ALL = (): boolean => true;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: tab, visible ASCII and obs-text (node's rule); CR and LF only as line ends.
const INVALID_HEAD_CHAR = /[^\t\r\n\x20-\x7e\x80-\xff]/;
const DIGITS = /^[0-9]{1,15}$/;
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

/** The field value after `from`, without surrounding spaces and tabs (OWS; `trim` would also eat U+00A0). */
function trimOws(line: string, from: number): string {
  let start = from;
  let end = line.length;
  while (start < end && (line.charCodeAt(start) === 32 || line.charCodeAt(start) === 9)) start++;
  while (end > start && (line.charCodeAt(end - 1) === 32 || line.charCodeAt(end - 1) === 9)) end--;
  return line.slice(start, end);
}

function connectionTokens(value: string | undefined): { close: boolean; upgrade: boolean } {
  if (value === undefined) return { close: false, upgrade: false };
  let close = false;
  let upgrade = false;
  for (const token of value.toLowerCase().split(',')) {
    const t = token.trim();
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
  const lines = text.split('\r\n');
  if (lines.length > MAX_HEADER_LINES + 1) return FOREIGN;
  const requestLine = lines[0]!;
  const sp1 = requestLine.indexOf(' ');
  const sp2 = requestLine.indexOf(' ', sp1 + 1);
  if (sp1 === -1 || sp2 === -1 || requestLine.indexOf(' ', sp2 + 1) !== -1) return FOREIGN;
  const method = requestLine.slice(0, sp1);
  if (method !== 'GET' && method !== 'POST' && method !== 'OPTIONS') return FOREIGN;
  const url = requestLine.slice(sp1 + 1, sp2);
  if (url.charCodeAt(0) !== 47 /* / */ || requestLine.slice(sp2 + 1) !== 'HTTP/1.1') return FOREIGN;
  if (!owns(url)) return FOREIGN;
  const headers: IncomingHttpHeaders = {};
  let contentLength: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.includes('\r') || line.includes('\n')) return FOREIGN;
    const colon = line.indexOf(':');
    if (colon <= 0) return FOREIGN;
    const rawName = line.slice(0, colon);
    if (!TOKEN.test(rawName)) return FOREIGN;
    const name = rawName.toLowerCase();
    if (FOREIGN_HEADERS.has(name)) return FOREIGN;
    const value = trimOws(line, colon + 1);
    if (name === 'content-length') {
      // One declaration only: a second one, even equal, is left to node:http's rules.
      if (contentLength !== undefined || !DIGITS.test(value)) return FOREIGN;
      contentLength = value;
    } else if (name === 'host' && headers.host !== undefined) {
      return FOREIGN;
    }
    addHeader(headers, name, value);
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
    head: {
      method,
      url,
      headers,
      contentLength: contentLength === undefined ? 0 : Number(contentLength),
      close: connection.close,
      upgrade,
      length: end + 4,
    },
  };
}
