/**
 * `serveClient`: the official browser client's bundles, served under the server's path as
 * socket.io serves them (`/socket.io/socket.io.min.js`...). Only the exact names below are
 * served, so no request can reach another file. Each file is read once, and each compressed form
 * made once, on first request: at most 8 files × 4 encodings are ever held.
 */
import { readFile } from 'node:fs/promises';
import type { OutgoingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, deflate, gzip } from 'node:zlib';
import type { HttpExchange, RequestTarget } from '../engine/index.js';

const BUNDLES = ['socket.io.js', 'socket.io.min.js', 'socket.io.msgpack.min.js', 'socket.io.esm.min.js'];

/** The file names served, bundles and their source maps. */
export const CLIENT_FILES: ReadonlySet<string> = new Set(BUNDLES.flatMap((name) => [name, `${name}.map`]));

/** A content coding the files are sent in. */
export type ContentCoding = 'br' | 'gzip' | 'deflate' | 'identity';

/** The codings offered, in the server's order of preference (socket.io's). */
const OFFERED: readonly Exclude<ContentCoding, 'identity'>[] = ['br', 'gzip', 'deflate'];

interface AcceptedCoding {
  readonly name: string;
  readonly q: number;
  /** Position in the header. */
  readonly at: number;
}

function parseAcceptEncoding(header: string): AcceptedCoding[] {
  const accepted: AcceptedCoding[] = [];
  let minQ = 1;
  let identity = false;
  header.split(',').forEach((part, at) => {
    const [rawName, ...params] = part.split(';');
    const name = rawName?.trim().toLowerCase() ?? '';
    if (name === '') return;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key?.trim() === 'q') {
        q = Number.parseFloat(value ?? '');
        break;
      }
    }
    if (Number.isNaN(q)) q = 0;
    accepted.push({ name, q, at });
    minQ = Math.min(minQ, q || 1);
    if (name === 'identity') identity = true;
  });
  // As HTTP has it, identity is acceptable unless the header says otherwise.
  if (!identity) accepted.push({ name: 'identity', q: minQ, at: accepted.length });
  return accepted;
}

/**
 * The coding to answer in for an `Accept-Encoding` header: the offered coding of highest q (an
 * exact name beats `*`; ties go to the header's order, then to br, gzip, deflate), or identity
 * when none is acceptable. Pure.
 */
export function negotiateCoding(header: string | undefined): ContentCoding {
  if (header === undefined || header === '') return 'identity';
  const accepted = parseAcceptEncoding(header);
  let best: { coding: ContentCoding; q: number; exact: boolean; at: number } | undefined;
  for (const coding of OFFERED) {
    let match: { q: number; exact: boolean; at: number } | undefined;
    for (const entry of accepted) {
      const exact = entry.name === coding;
      if (!exact && entry.name !== '*') continue;
      if (
        match === undefined ||
        (exact && !match.exact) ||
        (exact === match.exact && (entry.q > match.q || (entry.q === match.q && entry.at < match.at)))
      ) {
        match = { q: entry.q, exact, at: entry.at };
      }
    }
    if (match === undefined || match.q <= 0) continue;
    // Strictly better only: on a full tie the earlier offered coding stays.
    const better =
      best === undefined ||
      match.q > best.q ||
      (match.q === best.q && match.exact && !best.exact) ||
      (match.q === best.q && match.exact === best.exact && match.at < best.at);
    if (better) best = { coding, ...match };
  }
  return best?.coding ?? 'identity';
}

const compressors: Record<Exclude<ContentCoding, 'identity'>, (body: Buffer) => Promise<Buffer>> = {
  br: promisify(brotliCompress),
  gzip: promisify(gzip),
  deflate: promisify(deflate),
};

/** The package's exports hide dist/, so its folder is found through its package.json. */
const clientRequire = createRequire(import.meta.url);
const CLIENT_DIR = dirname(clientRequire.resolve('socket.io-client/package.json'));
const CLIENT_VERSION = (clientRequire('socket.io-client/package.json') as { version: string }).version;
/** Per RFC 9110 an ETag is quoted; the client's version changes exactly when the files do. */
const ETAG = `"${CLIENT_VERSION}"`;
const WEAK_ETAG = `W/${ETAG}`;

/** Every answer body, by file and coding; filled on demand and never beyond CLIENT_FILES × codings. */
const bodies = new Map<string, Promise<Buffer>>();

function body(name: string, coding: ContentCoding): Promise<Buffer> {
  const key = `${coding}:${name}`;
  let found = bodies.get(key);
  if (found === undefined) {
    found =
      coding === 'identity'
        ? readFile(join(CLIENT_DIR, 'dist', name))
        : body(name, 'identity').then(compressors[coding]);
    bodies.set(key, found);
  }
  return found;
}

/**
 * Answers the requests for the client files under one base path (`/socket.io`): it is the
 * engine's request hook, so the answers carry the engine's CORS headers.
 */
export class ClientFileServer {
  /** Full request path → file name. */
  private readonly paths = new Map<string, string>();

  constructor(basePath: string) {
    for (const name of CLIENT_FILES) this.paths.set(`${basePath}/${name}`, name);
  }

  /** Answers and returns true when `target` names a client file; false for anything else. */
  handle(exchange: HttpExchange, cors: OutgoingHttpHeaders, target: RequestTarget): boolean {
    const name = this.paths.get(target.pathname);
    if (name === undefined) return false;
    exchange.discardBody();
    const tag = exchange.request.headers['if-none-match'];
    if (tag === ETAG || tag === WEAK_ETAG) {
      exchange.reply(304, { ...cors, ETag: ETAG }, '');
      return true;
    }
    const coding = negotiateCoding(exchange.request.headers['accept-encoding']);
    const headers: OutgoingHttpHeaders = {
      ...cors,
      'Cache-Control': 'public, max-age=0',
      'Content-Type': `application/${name.endsWith('.map') ? 'json' : 'javascript'}; charset=utf-8`,
      ETag: ETAG,
      // The answer depends on Accept-Encoding: a shared cache must not give gzip to anyone.
      Vary: typeof cors.Vary === 'string' ? `${cors.Vary}, Accept-Encoding` : 'Accept-Encoding',
    };
    if (coding !== 'identity') headers['Content-Encoding'] = coding;
    const head = exchange.request.method === 'HEAD';
    body(name, coding).then(
      (bytes) => exchange.reply(200, headers, head ? '' : bytes),
      () => exchange.reply(500, cors, ''),
    );
    return true;
  }
}
