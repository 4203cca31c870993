import * as crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestSource } from '../http/exchange.js';
import type { Duplex } from 'node:stream';
import { WebSocket, type WebSocketServer } from 'ws';
import { ignoreSocketError } from '../errors.js';
import { type WsServerSide, wsFastPaths } from './ws-internals.js';

/** RFC 6455: the GUID appended to the client's key, and the shape of a valid key (16 bytes, base64). */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** base64 SHA-1: `crypto.hash` in one call where node has it (20.12+), createHash before. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64') => string }).hash;
function sha1Base64(data: string): string {
  return oneShotHash !== undefined
    ? oneShotHash('sha1', data, 'base64')
    : crypto.createHash('sha1').update(data).digest('base64');
}

/** Extra 101 lines of the upgrades ws answers itself, added by the 'headers' listener below. */
const extraLines = new WeakMap<RequestSource, readonly string[]>();
const withHeadersListener = new WeakSet<WebSocketServer>();

function addExtraLines(lines: string[], req: IncomingMessage): void {
  const extra = extraLines.get(req);
  if (extra !== undefined) lines.push(...extra);
}

/**
 * Completes a WebSocket upgrade on `wss` (a `noServer` ws server) and hands over the WebSocket.
 * `headers` are extra lines for the 101 (e.g. Set-Cookie). The 101 leaves in a write of its own
 * and what `done` writes (an open packet) in the next, as on engine.io: a client that listens for
 * messages only once its 'open' has fired (the official protocol suite's does) would miss a packet
 * that came in the same chunk as the 101. Once ws guards the socket with its own 'error' listener,
 * the engine's pre-upgrade guard is dropped.
 */
export function completeUpgrade(
  wss: WebSocketServer,
  req: RequestSource,
  socket: Duplex,
  head: Buffer,
  headers: readonly string[],
  done: (ws: WebSocket) => void,
): void {
  const adopt = (ws: WebSocket): void => {
    socket.removeListener('error', ignoreSocketError);
    done(ws);
  };
  // Without ws's internals (checked once per process), ws answers every handshake.
  const ws = wsFastPaths() ? acceptCommonHandshake(wss, req, socket, head, headers) : undefined;
  if (ws !== undefined) {
    adopt(ws);
    return;
  }
  // Anything else (subprotocols, extension offers, old versions, invalid requests): ws answers.
  if (headers.length > 0) {
    if (!withHeadersListener.has(wss)) {
      wss.on('headers', addExtraLines);
      withHeadersListener.add(wss);
    }
    extraLines.set(req, headers);
  }
  // ws reads the method, the headers and the socket of the request (all a RequestSource has).
  wss.handleUpgrade(req as IncomingMessage, socket, head, (accepted) => {
    extraLines.delete(req);
    adopt(accepted);
  });
}

/**
 * Answers the common WebSocket opening handshake (RFC 6455 section 4.2: GET, `Upgrade:
 * websocket`, a valid key, version 13, no subprotocol, and no extension to negotiate when the
 * server may deflate) with one write and the accept key hashed in one call, then builds the
 * WebSocket and attaches the socket as ws's own server does (`new WebSocket(null)`, `setSocket`,
 * with that server's options). Returns undefined, having written nothing, for any other request.
 */
function acceptCommonHandshake(
  wss: WebSocketServer,
  req: RequestSource,
  socket: Duplex,
  head: Buffer,
  headers: readonly string[],
): WebSocket | undefined {
  const h = req.headers;
  const key = h['sec-websocket-key'];
  if (
    req.method !== 'GET' ||
    h.upgrade?.toLowerCase() !== 'websocket' ||
    key === undefined ||
    !WEBSOCKET_KEY.test(key) ||
    h['sec-websocket-version'] !== '13' ||
    h['sec-websocket-protocol'] !== undefined ||
    (wss.options.perMessageDeflate !== false && h['sec-websocket-extensions'] !== undefined) ||
    !socket.readable ||
    !socket.writable
  ) {
    return undefined;
  }
  let answer = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${sha1Base64(key + WEBSOCKET_GUID)}\r\n`;
  for (const line of headers) answer += `${line}\r\n`;
  socket.write(`${answer}\r\n`);
  const options = wss.options;
  const ws = new WebSocket(null as unknown as string, undefined, options);
  (ws as unknown as WsServerSide).setSocket(socket, head, options);
  return ws;
}
