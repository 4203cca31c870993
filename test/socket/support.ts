/**
 * A raw Socket.IO client over one Engine.IO WebSocket (the `ws` package, no socket.io-client), for
 * sending packets an official client would never write: hand-made JSON text of any depth, an own
 * `__proto__` key beside binary attachments, malformed placeholders. It answers the server's pings
 * and queues what it receives, so a test awaits messages in order. Use with the servers of
 * test/native/support.ts; `closeRawPeers()` before their cleanup.
 */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { TestServer } from '../native/support.js';
import { withTimeout } from '../support/waiting.js';

const peers: RawSocketIoPeer[] = [];

/** A Socket.IO session on the main namespace, spoken by hand. */
export class RawSocketIoPeer {
  /** The id of the socket on the server. */
  sid = '';
  /** Settles once the WebSocket is closed. */
  readonly closed: Promise<void>;
  private readonly queue: (string | Buffer)[] = [];
  private readonly waiters: ((message: string | Buffer) => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    peers.push(this);
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (!isBinary && buffer.toString() === '2') {
        ws.send('3');
        return;
      }
      const message = isBinary ? buffer : buffer.toString();
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    });
  }

  /** Opens the session and joins the main namespace. */
  static async connect(server: TestServer): Promise<RawSocketIoPeer> {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
    const peer = new RawSocketIoPeer(ws);
    await withTimeout(new Promise((resolve) => ws.once('open', resolve)), 'the raw WebSocket to open');
    const open = await peer.next('the Engine.IO open packet');
    assert.ok(typeof open === 'string' && open.startsWith('0{'), `open packet: ${String(open)}`);
    ws.send('40');
    const connected = await peer.next('the Socket.IO CONNECT answer');
    assert.ok(
      typeof connected === 'string' && connected.startsWith('40{'),
      `CONNECT answer: ${String(connected)}`,
    );
    peer.sid = (JSON.parse(connected.slice(2)) as { sid: string }).sid;
    return peer;
  }

  /** Sends a Socket.IO packet (its text; the Engine.IO message prefix 4 is added), then its attachments. */
  send(packet: string, ...attachments: Buffer[]): void {
    this.ws.send(`4${packet}`);
    for (const attachment of attachments) this.ws.send(attachment);
  }

  /** The next message received (Engine.IO text with its prefix, or a binary attachment), guarded. */
  next(what = 'a message'): Promise<string | Buffer> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    let waiter: ((message: string | Buffer) => void) | undefined;
    const promise = new Promise<string | Buffer>((resolve) => {
      waiter = resolve;
      this.waiters.push(resolve);
    });
    return withTimeout(promise, what).catch((err: unknown) => {
      const index = waiter ? this.waiters.indexOf(waiter) : -1;
      if (index >= 0) this.waiters.splice(index, 1);
      throw err;
    });
  }

  /** The next Socket.IO packet's text (without the Engine.IO prefix 4). */
  async nextPacket(what = 'a packet'): Promise<string> {
    const message = await this.next(what);
    assert.ok(
      typeof message === 'string' && message.startsWith('4'),
      `expected a message, got ${String(message)}`,
    );
    return message.slice(1);
  }

  /** The next binary attachment. */
  async nextAttachment(what = 'an attachment'): Promise<Buffer> {
    const message = await this.next(what);
    assert.ok(Buffer.isBuffer(message), `expected an attachment, got ${String(message)}`);
    return message;
  }
}

/** Ends every raw peer the test opened and waits for their sockets to close. */
export async function closeRawPeers(): Promise<void> {
  const open = peers.splice(0);
  for (const peer of open) peer.ws.terminate();
  await Promise.all(open.map((peer) => peer.closed));
}

/** `depth` nested arrays as JSON text, `[[[...]]]` around `inner`: deeper than JSON.stringify can write. */
export function deepArrayJson(depth: number, inner = ''): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

/** How many arrays are nested in `value` along first elements, counted without recursion. */
export function arrayDepth(value: unknown): number {
  let depth = 0;
  let current = value;
  while (Array.isArray(current)) {
    depth++;
    current = current[0];
  }
  return depth;
}
