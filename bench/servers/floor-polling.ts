/**
 * The polling floor: the thinnest long-polling Socket.IO subset on node:http, to show what Node's
 * HTTP server itself costs per polling message. Engine.IO v4 over polling only (open packet, one
 * held GET per session, POST payloads split on \x1e) and Socket.IO v5 on the main namespace only
 * (`40` connect, `42` events, `43` acks). No heartbeat (the bench runs shorter than pingInterval),
 * no upgrade, no binary, no CORS, no middleware; sessions live in one Map.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announce, exitOnSignals, installGcHook, portFromEnv } from './common.js';

const SEP = '\x1e';
const PING_INTERVAL = 25_000;
const PING_TIMEOUT = 20_000;
const MAX_PAYLOAD = 1_000_000;

interface PollingSession {
  held: ServerResponse | undefined;
  queue: string[];
  connected: boolean;
}

const sessions = new Map<string, PollingSession>();

function newId(): string {
  return randomBytes(15).toString('base64url');
}

function answer(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=UTF-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function send(session: PollingSession, packet: string): void {
  session.queue.push(packet);
  const held = session.held;
  if (held === undefined) return;
  session.held = undefined;
  const body = session.queue.length === 1 ? session.queue[0]! : session.queue.join(SEP);
  session.queue = [];
  answer(held, 200, body);
}

/** A Socket.IO packet (the data of an Engine.IO message); replies are whole Engine.IO packets. */
function onPacket(session: PollingSession, packet: string): void {
  if (packet === '0' || packet.startsWith('0{')) {
    session.connected = true;
    send(session, `40{"sid":"${newId()}"}`);
    return;
  }
  if (packet.charCodeAt(0) !== 50 || !session.connected) return; // '2': EVENT
  let i = 1;
  while (i < packet.length && packet.charCodeAt(i) >= 48 && packet.charCodeAt(i) <= 57) i++;
  const ackId = i > 1 ? packet.slice(1, i) : undefined;
  const args = JSON.parse(packet.slice(i)) as unknown[];
  if (args[0] !== 'echo') return;
  send(session, ackId === undefined ? `42${JSON.stringify(args)}` : `43${ackId}${JSON.stringify(args.slice(1))}`);
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  if (!url.startsWith('/socket.io/?') || !url.includes('EIO=4') || !url.includes('transport=polling')) {
    answer(res, 400, '{"code":3,"message":"Bad request"}', 'application/json');
    return;
  }
  const sidAt = url.indexOf('sid=');
  if (sidAt === -1) {
    const sid = newId();
    sessions.set(sid, { held: undefined, queue: [], connected: false });
    answer(
      res,
      200,
      `0{"sid":"${sid}","upgrades":[],"pingInterval":${PING_INTERVAL},"pingTimeout":${PING_TIMEOUT},"maxPayload":${MAX_PAYLOAD}}`,
    );
    return;
  }
  const end = url.indexOf('&', sidAt);
  const session = sessions.get(decodeURIComponent(url.slice(sidAt + 4, end === -1 ? undefined : end)));
  if (session === undefined) {
    answer(res, 400, '{"code":1,"message":"Session ID unknown"}', 'application/json');
    return;
  }
  if (req.method === 'GET') {
    if (session.queue.length > 0) {
      const body = session.queue.join(SEP);
      session.queue = [];
      answer(res, 200, body);
    } else {
      session.held = res;
    }
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString();
    for (const packet of body.split(SEP)) {
      // Engine.IO message packets carry a Socket.IO packet; pongs and the rest are ignored.
      if (packet.charCodeAt(0) === 52) onPacket(session, packet.slice(1));
    }
    answer(res, 200, 'ok', 'text/html');
  });
}

const httpServer = createServer(onRequest);

installGcHook();
httpServer.listen(portFromEnv(), '127.0.0.1', () => {
  announce('floor-polling', (httpServer.address() as AddressInfo).port);
});
exitOnSignals(() => {
  for (const session of sessions.values()) session.held?.destroy();
  return new Promise<void>((resolve) => httpServer.close(() => resolve()));
});
