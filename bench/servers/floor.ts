/**
 * The floor: the thinnest websocket-only Socket.IO subset, written directly on `ws`, to show what
 * Node itself allows for the bench contract. It speaks Engine.IO v4 over websocket only (open
 * packet, heartbeat) and Socket.IO v5 on the main namespace only (`40` connect, `42` events,
 * `43` acks). No polling, no upgrade, no binary attachments, no middleware.
 *
 * Cheapest legit broadcast: each packet is serialized once and framed once (ws's Sender.frame,
 * then one Buffer); the broadcasts of one event-loop iteration are concatenated into one Buffer
 * and that same Buffer is written straight to every member's net.Socket at the end of the
 * iteration: one write (one syscall) per socket per iteration, whatever the number of broadcasts.
 * That skips ws's per-send framing; it is safe because without permessage-deflate ws writes its own
 * frames synchronously, and any other write to a socket (ack, echo, ping) or room change first
 * flushes the pending broadcasts, so per-socket order is kept. Pings are framed once per sweep.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import * as wsModule from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { announce, exitOnSignals, installGcHook, portFromEnv } from './common.js';

const PING_INTERVAL = 25_000;
const PING_TIMEOUT = 20_000;
const MAX_PAYLOAD = 1_000_000;

interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
/** ws ships Sender.frame() but @types/ws does not declare it. */
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, o: FrameOptions): Buffer[] } }).Sender;

/** One complete unmasked text frame, built once, ready to write to any number of sockets. */
function textFrame(text: string): Buffer {
  const parts = Sender.frame(Buffer.from(text), {
    fin: true,
    rsv1: false,
    opcode: 1,
    mask: false,
    readOnly: false,
  });
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

interface Client {
  ws: WebSocket;
  raw: NetSocket;
  alive: boolean;
  connected: boolean;
}

const room = new Set<Client>();
const clients = new Set<Client>();

function newId(): string {
  return randomBytes(15).toString('base64url');
}

// Broadcasts of one event-loop iteration are framed once each, then coalesced: one Buffer, one
// write per member at the end of the iteration (setImmediate). Anything else written to a socket
// first flushes the pending broadcasts, so per-socket order is kept; so does a room change.
let pending: Buffer[] = [];

function flushBroadcasts(): void {
  if (pending.length === 0) return;
  const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
  pending = [];
  for (const c of room) {
    if (!c.raw.destroyed && c.ws.readyState === WebSocket.OPEN) c.raw.write(data);
  }
}

/** FLOOR_COALESCE=0 writes each broadcast at once instead (the `floor-plain` server). */
const COALESCE = process.env.FLOOR_COALESCE !== '0';

function broadcast(packet: string): void {
  if (pending.length === 0 && COALESCE) setImmediate(flushBroadcasts);
  pending.push(textFrame(packet));
  if (!COALESCE) flushBroadcasts();
}

function send(c: Client, text: string): void {
  flushBroadcasts();
  c.ws.send(text);
}

function onEvent(c: Client, text: string): void {
  // 42[...] or 42<ackId>[...]
  let i = 2;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  const ackId = i > 2 ? text.slice(2, i) : undefined;
  let args: unknown;
  try {
    args = JSON.parse(text.slice(i));
  } catch {
    c.ws.terminate();
    return;
  }
  if (!Array.isArray(args) || typeof args[0] !== 'string') {
    c.ws.terminate();
    return;
  }
  if (args[0] === 'echo') {
    if (ackId !== undefined) send(c, `43${ackId}${JSON.stringify(args.slice(1))}`);
    else send(c, `42${JSON.stringify(args)}`);
  } else if (args[0] === 'broadcast') {
    broadcast(`42${JSON.stringify(['broadcast', args[1]])}`);
  }
}

function onMessage(c: Client, data: Buffer, isBinary: boolean): void {
  if (isBinary) {
    c.ws.terminate();
    return;
  }
  const text = data.toString();
  switch (text.charCodeAt(0)) {
    case 51: // '3' pong
      c.alive = true;
      return;
    case 49: // '1' close
      c.ws.close();
      return;
    case 52: // '4' message: a Socket.IO packet
      break;
    default:
      return;
  }
  const type = text.charCodeAt(1);
  if (type === 50 && c.connected) {
    onEvent(c, text);
  } else if (type === 48 && !c.connected) {
    // 40 or 40{auth}: main namespace only
    if (text.length > 2 && text.charCodeAt(2) !== 123) {
      c.ws.send(`44${text.slice(2).split(',')[0]},{"message":"Invalid namespace"}`);
      return;
    }
    c.connected = true;
    send(c, `40{"sid":"${newId()}"}`);
    room.add(c);
  } else if (type === 49 && c.connected) {
    flushBroadcasts();
    c.connected = false;
    room.delete(c);
  } else if (type !== 51) {
    c.ws.terminate();
  }
}

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  clientTracking: false,
  maxPayload: MAX_PAYLOAD,
});

const httpServer = createServer((_req, res) => {
  res.writeHead(400, { 'content-type': 'application/json' });
  res.end('{"code":3,"message":"Bad request"}');
});

httpServer.on('upgrade', (req, socket, head) => {
  const url = req.url ?? '';
  if (!url.startsWith('/socket.io/?') || !url.includes('EIO=4') || !url.includes('transport=websocket')) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const c: Client = { ws, raw: socket as NetSocket, alive: true, connected: false };
    clients.add(c);
    ws.on('message', (data: Buffer, isBinary: boolean) => onMessage(c, data, isBinary));
    ws.on('close', () => {
      flushBroadcasts();
      clients.delete(c);
      room.delete(c);
    });
    ws.on('error', () => ws.terminate());
    ws.send(
      `0{"sid":"${newId()}","upgrades":[],"pingInterval":${PING_INTERVAL},"pingTimeout":${PING_TIMEOUT},"maxPayload":${MAX_PAYLOAD}}`,
    );
  });
});

// One heartbeat sweep for all clients: whoever did not answer the previous ping is dropped.
const pingFrame = textFrame('2');
const heartbeat = setInterval(() => {
  flushBroadcasts();
  for (const c of clients) {
    if (!c.alive) {
      c.ws.terminate();
      continue;
    }
    c.alive = false;
    if (!c.raw.destroyed) c.raw.write(pingFrame);
  }
}, PING_INTERVAL);

installGcHook();
httpServer.listen(portFromEnv(), '127.0.0.1', () => {
  announce(COALESCE ? 'floor' : 'floor-plain', (httpServer.address() as AddressInfo).port);
});
exitOnSignals(() => {
  clearInterval(heartbeat);
  for (const c of clients) c.ws.terminate();
  return new Promise<void>((resolve) => httpServer.close(() => resolve()));
});
