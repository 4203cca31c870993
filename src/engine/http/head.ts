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
 * Where an incremental scan of one request head stands ({@link scanHead}). Scans keep it across
 * the chunks of a connection, so each byte is examined once however the head is split.
 */
export interface HeadScan {
  /** Bytes of the head examined so far; once complete, the head's length (CRLFCRLF included). */
  examined: number;
  /** The grammar state (one of the `S_` constants below). */
  state: number;
  /** Of a literal being matched (a method's rest, the version): the characters already matched. */
  matched: number;
  literal: string;
  /** Header lines begun so far. */
  lines: number;
}

/** What {@link scanHead} knows after a chunk. */
export type HeadScanStatus =
  /** The bytes so far are a prefix of a head the engine may take: more are needed. */
  | 'more'
  /** The bytes can no longer become a head the engine takes: node:http's to answer. */
  | 'foreign'
  /** The head ended (at `scan.examined` bytes) and is well formed; {@link readCompleteHead} reads it. */
  | 'complete';

// Grammar states: METHOD SP "/" target SP "HTTP/1.1" CRLF *( token ":" value CRLF ) CRLF.
const S_METHOD = 0;
const S_LITERAL = 1;
const S_TARGET_FIRST = 2;
const S_TARGET = 3;
const S_LINE_START = 4;
const S_NAME = 5;
const S_VALUE = 6;
const S_VALUE_LF = 7;
const S_END_LF = 8;
const S_FOREIGN = 9;
const S_COMPLETE = 10;

const CR = 13;
const LF = 10;
const SP = 32;
const COLON = 58;
const SLASH = 47;
const VERSION_LINE = 'HTTP/1.1\r\n';

/** Byte classes: token characters, target characters (visible ASCII), value characters. */
const C_TOKEN = 1;
const C_TARGET = 2;
const C_VALUE = 4;
const CLASSES = (() => {
  const table = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    const c = String.fromCharCode(b);
    if (TOKEN.test(c)) table[b]! |= C_TOKEN;
    if (b >= 0x21 && b <= 0x7e) table[b]! |= C_TARGET;
    if (b === 9 || (b >= 0x20 && b <= 0x7e) || b >= 0x80) table[b]! |= C_VALUE;
  }
  return table;
})();

/** A new scan, for a head whose first byte has not arrived. */
export function startHeadScan(): HeadScan {
  return { examined: 0, state: S_METHOD, matched: 0, literal: '', lines: 0 };
}

/** Makes `scan` a new scan again (for the next head on a connection). */
export function resetHeadScan(scan: HeadScan): void {
  scan.examined = 0;
  scan.state = S_METHOD;
  scan.matched = 0;
  scan.literal = '';
  scan.lines = 0;
}

/**
 * Examines `chunk`, the next bytes of a head, once, and says whether they can still be a prefix of
 * a head the engine takes (one that {@link parseRequestHead} could accept): a bare CR or LF, a
 * method other than GET, POST or OPTIONS, a target not in origin form, another version, a header
 * line that is not `token ":" value`, a control character, or reaching `maxHeaderBytes`, make it
 * foreign at once. Bytes after the head's end are not examined. Pure but for `scan`, which it
 * advances.
 */
export function scanHead(scan: HeadScan, chunk: Buffer, maxHeaderBytes: number): HeadScanStatus {
  let state = scan.state;
  if (state === S_FOREIGN) return 'foreign';
  if (state === S_COMPLETE) return 'complete';
  const n = chunk.length;
  // The head may use at most this many bytes of the chunk (maxHeaderBytes in all).
  const room = maxHeaderBytes - scan.examined;
  const limit = Math.min(room, n);
  let i = 0;
  while (i < limit && state < S_FOREIGN) {
    const b = chunk[i]!;
    switch (state) {
      case S_VALUE:
        if ((CLASSES[b]! & C_VALUE) !== 0) {
          // Most of a head is values: their bytes are skipped in a tight loop.
          i++;
          while (i < limit && (CLASSES[chunk[i]!]! & C_VALUE) !== 0) i++;
          continue;
        }
        state = b === CR ? S_VALUE_LF : S_FOREIGN;
        break;
      case S_VALUE_LF:
        state = b === LF ? S_LINE_START : S_FOREIGN;
        break;
      case S_LINE_START:
        if (b === CR) state = S_END_LF;
        else if ((CLASSES[b]! & C_TOKEN) !== 0 && ++scan.lines <= MAX_HEADER_LINES) state = S_NAME;
        else state = S_FOREIGN;
        break;
      case S_NAME:
        if (b === COLON) state = S_VALUE;
        else if ((CLASSES[b]! & C_TOKEN) === 0) state = S_FOREIGN;
        break;
      case S_END_LF:
        state = b === LF ? S_COMPLETE : S_FOREIGN;
        break;
      case S_TARGET:
        if (b === SP) {
          state = S_LITERAL;
          scan.literal = VERSION_LINE;
          scan.matched = 0;
        } else if ((CLASSES[b]! & C_TARGET) === 0) {
          state = S_FOREIGN;
        }
        break;
      case S_TARGET_FIRST:
        state = b === SLASH ? S_TARGET : S_FOREIGN;
        break;
      case S_LITERAL:
        if (b !== scan.literal.charCodeAt(scan.matched)) {
          state = S_FOREIGN;
        } else if (++scan.matched === scan.literal.length) {
          state = scan.literal === VERSION_LINE ? S_LINE_START : S_TARGET_FIRST;
        }
        break;
      case S_METHOD:
        // The first letter tells the method: the rest, and the space, must follow exactly.
        scan.literal = b === 0x47 ? 'ET ' : b === 0x50 ? 'OST ' : b === 0x4f ? 'PTIONS ' : '';
        scan.matched = 0;
        state = scan.literal === '' ? S_FOREIGN : S_LITERAL;
        break;
    }
    // A byte that makes the head foreign is examined too; it is not part of a head.
    i++;
  }
  scan.examined += i;
  if (state < S_FOREIGN && scan.examined >= maxHeaderBytes) state = S_FOREIGN;
  scan.state = state;
  return state === S_FOREIGN ? 'foreign' : state === S_COMPLETE ? 'complete' : 'more';
}

/**
 * Parses the request head at the start of `buf`: a GET, POST or OPTIONS in HTTP/1.1 for a target
 * `owns` accepts, with a Host, at most one Content-Length and neither Transfer-Encoding nor Expect;
 * an upgrade only as a GET without Content-Length. A head that does not end within
 * `maxHeaderBytes` is foreign (node:http answers 431), as are bytes that cannot begin such a head
 * ({@link scanHead}), however few.
 */
export function parseRequestHead(
  buf: Buffer,
  maxHeaderBytes: number,
  owns: (url: string) => boolean = OWNS_ALL,
): HeadParse {
  const scan = startHeadScan();
  const status = scanHead(scan, buf, maxHeaderBytes);
  if (status === 'more') return INCOMPLETE;
  if (status === 'foreign') return FOREIGN;
  return readCompleteHead(buf, scan.examined, owns);
}

/**
 * Reads the head that a scan found complete in the first `length` bytes of `buf` (the grammar is
 * checked already: what is left are the rules about methods, headers and their values).
 */
export function readCompleteHead(buf: Buffer, length: number, owns: (url: string) => boolean = OWNS_ALL): HeadParse {
  // One latin1 string (node decodes header bytes the same way); searching it is cheaper than
  // searching the buffer.
  const end = length - 4;
  const text = buf.toString('latin1', 0, end);
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd === -1) lineEnd = end;
  const sp1 = text.indexOf(' ');
  const sp2 = text.indexOf(' ', sp1 + 1);
  const method = text.slice(0, sp1) as RequestHead['method'];
  const url = text.slice(sp1 + 1, sp2);
  if (!owns(url)) return FOREIGN;
  const headers: IncomingHttpHeaders = {};
  let contentLength: string | undefined;
  // Field lines are walked in place: no array of lines, no copy of a line.
  for (let start = lineEnd + 2; start < end; ) {
    let next = text.indexOf('\r\n', start);
    if (next === -1) next = end;
    const colon = text.indexOf(':', start);
    const rawName = text.slice(start, colon);
    let name = KNOWN_NAMES.get(rawName);
    if (name === undefined) {
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
    length,
  };
}
