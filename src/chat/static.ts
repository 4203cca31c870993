/**
 * The chat's static files: the page and its assets from ./public (read once, served from memory).
 * The official browser client comes from the Socket.IO server itself (`serveClient`, under the
 * Socket.IO path).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};
/**
 * The page may run only its own scripts and styles and talk only to its own server: injected markup
 * runs nothing, and a script that got in anyway cannot send data elsewhere. 'self' in connect-src
 * covers the ws:/wss: URL of the same host and port (CSP Level 3, as Chromium and Firefox apply it).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
/** Placeholder in index.html replaced by the Socket.IO path the server uses. */
const PATH_PLACEHOLDER = '%%SOCKET_PATH%%';

interface StaticFile {
  body: Buffer;
  type: string;
}

function loadFiles(socketPath: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(PUBLIC_DIR)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    let body = readFileSync(join(PUBLIC_DIR, name));
    if (name === 'index.html')
      body = Buffer.from(body.toString('utf8').replaceAll(PATH_PLACEHOLDER, socketPath));
    files.set(`/${name}`, { body, type });
  }
  const index = files.get('/index.html');
  if (index) files.set('/', index);
  return files;
}

/** Builds the request handler serving the chat's static files (404 for anything else). */
export function staticHandler(socketPath: string): (req: IncomingMessage, res: ServerResponse) => void {
  const files = loadFiles(socketPath);
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file = files.get(path);
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(file ? 405 : 404, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      });
      res.end(file ? 'method not allowed\n' : 'not found\n');
      return;
    }
    res.writeHead(200, {
      'Content-Type': file.type,
      'Content-Length': file.body.length,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };
}
