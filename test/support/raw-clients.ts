/**
 * Raw protocol clients for tests: one HTTP request per fresh connection, a long-polling session
 * driven by hand, and a WebSocket client that queues frames (Engine.IO or plain). They speak bytes, not Socket.IO: the
 * server under test is what is checked.
 */
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { type ClientOptions, WebSocket } from 'ws';
import { Changes, deferred, GUARD_MS, withTimeout } from './waiting.js';

/** A raw HTTP answer. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body's bytes, as sent (not decoded, not decompressed). */
  bytes: Buffer;
}

/** One HTTP request on a fresh connection (no pooling). */
export function http(
  url: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** The agent whose connections carry the request; a fresh connection when unset. */
    agent?: Agent;
    /** Called once the whole request has been handed to the operating system. */
    onSent?: () => void;
  } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const options = { method: init.method ?? 'GET', headers: init.headers, agent: init.agent ?? false };
    const req = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    const onSent = init.onSent;
    if (onSent) {
      // 'finish' means handed to the socket, which buffers until it connects: wait for both, then
      // for the socket to have written everything out.
      req.on('finish', () => {
        const socket = req.socket;
        const flushed = () => {
          if (socket === null || socket.writableLength === 0) onSent();
          else socket.once('drain', onSent);
        };
        if (socket === null || !socket.connecting) flushed();
        else socket.once('connect', () => setImmediate(flushed));
      });
    }
    req.end(init.body);
  });
}

/** The decoded open packet payload of an Engine.IO handshake. */
export interface OpenPayload {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

/**
 * A long-polling Engine.IO session driven request by request: `base` is the engine's path URL
 * (`http://127.0.0.1:PORT/socket.io/`).
 */
export class RawPolling {
  /** Drives the session `sid` (opened elsewhere, or an unknown sid to see it refused). */
  constructor(
    readonly base: string,
    readonly sid: string,
  ) {}

  /** Opens a session with a handshake GET; also resolves with the open packet and the raw answer. */
  static async handshake(base: string): Promise<RawPolling & { open: OpenPayload; answer: HttpAnswer }> {
    const answer = await http(`${base}?EIO=4&transport=polling`);
    if (answer.status !== 200 || answer.body[0] !== '0') {
      throw new Error(`handshake failed: ${answer.status} ${answer.body}`);
    }
    const open = JSON.parse(answer.body.slice(1)) as OpenPayload;
    return Object.assign(new RawPolling(base, open.sid), { open, answer });
  }

  /** The URL of this session's polling requests. */
  get url(): string {
    return `${this.base}?EIO=4&transport=polling&sid=${encodeURIComponent(this.sid)}`;
  }

  /** One GET (answered when the server has something to send). */
  get(): Promise<HttpAnswer> {
    return http(this.url);
  }

  /**
   * A GET that the server has certainly read and holds when this resolves (the answer is the
   * inner promise). It goes on a connection the server already reads (kept alive from a first
   * request), then a request on a new connection is answered: the server reads bytes waiting on a
   * connection it knows before the bytes of one it has yet to accept.
   */
  async heldGet(): Promise<{ answer: Promise<HttpAnswer> }> {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const unknown = `${this.base}?EIO=4&transport=polling&sid=held-get-probe`;
    await http(unknown, { agent });
    let sent!: () => void;
    const written = new Promise<void>((resolve) => {
      sent = resolve;
    });
    const answer = http(this.url, { agent, onSent: () => sent() }).finally(() => agent.destroy());
    await written;
    await http(unknown);
    return { answer };
  }

  /** One POST of a payload. */
  post(body: string | Buffer): Promise<HttpAnswer> {
    return http(this.url, { method: 'POST', body, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
  }

  /** The WebSocket URL that upgrades this session. */
  websocketUrl(): string {
    return `${this.base.replace(/^http/, 'ws')}?EIO=4&transport=websocket&sid=${encodeURIComponent(this.sid)}`;
  }
}

/** A WebSocket frame as a raw client sees it: text as a string, binary as a Buffer. */
export type Frame = string | Buffer;

/** How a WebSocket connection ended. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** The HTTP answer to an upgrade request that the server did not switch. */
export interface Refusal {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface WsClientOptions extends ClientOptions {
  /**
   * Answers every Engine.IO ping packet ('2') with a pong ('3') as it comes, whether or not the
   * test is reading, and keeps pings out of the queue. (`autoPong` is ws's own option, for
   * WebSocket ping control frames.)
   */
  answerPings?: boolean;
}

/** The clients not closed yet, so a cleanup can end them. */
const openClients = new Set<WsClient>();

/**
 * A raw WebSocket client (the `ws` package) that queues the frames it receives, so a test awaits
 * them in arrival order. It speaks frames, not a protocol: Engine.IO packets as their text, plain
 * clients' JSON envelopes, binary frames as they are.
 */
export class WsClient {
  readonly ws: WebSocket;
  /** Settles once the connection is open; rejects when the handshake failed or was refused. */
  readonly opened: Promise<void>;
  /** Settles with the close code and reason once the connection is closed (refused ones too). */
  readonly closed: Promise<CloseInfo>;
  /** Settles with the HTTP answer if the upgrade was refused. */
  readonly refused: Promise<Refusal>;
  /** How many frames arrived in all, taken or not (Engine.IO pings left out when answered). */
  received = 0;
  private readonly queue: Frame[] = [];
  private readonly changes = new Changes();
  private ended = false;
  private pongs = false;

  /** Opens `url`, or adopts a `ws` client a test built itself (before any of its events). */
  constructor(url: string | WebSocket, options: WsClientOptions = {}) {
    const { answerPings = false, ...wsOptions } = options;
    this.ws = typeof url === 'string' ? new WebSocket(url, wsOptions) : url;
    this.pongs = answerPings;
    openClients.add(this);
    const opened = deferred<void>();
    const closed = deferred<CloseInfo>();
    const refused = deferred<Refusal>();
    this.opened = opened.promise;
    this.closed = closed.promise;
    this.refused = refused.promise;
    this.opened.catch(() => {});
    this.ws.once('open', () => opened.resolve());
    this.ws.on('error', (err) => opened.reject(err));
    this.ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        refused.resolve({ status, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        opened.reject(new Error(`upgrade refused with HTTP ${status}`));
        this.ws.terminate();
      });
    });
    this.ws.on('message', (data, isBinary) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const frame = isBinary ? buffer : buffer.toString('utf8');
      if (this.pongs && frame === '2') {
        this.ws.send('3');
        return;
      }
      this.received++;
      this.queue.push(frame);
      this.changes.changed();
    });
    this.ws.once('close', (code, reason) => {
      this.ended = true;
      openClients.delete(this);
      opened.reject(new Error(`closed (${code}) before opening`));
      closed.resolve({ code, reason: reason.toString() });
      this.changes.changed();
    });
  }

  /** Opens a websocket-only Engine.IO session at `url` and reads its open packet. */
  static async handshake(url: string, options: WsClientOptions = {}): Promise<{ client: WsClient; open: OpenPayload }> {
    const client = new WsClient(url, options);
    await withTimeout(client.opened, `the WebSocket to ${url} to open`);
    const first = await client.nextText('the Engine.IO open packet');
    if (first[0] !== '0') throw new Error(`expected an open packet, got ${first}`);
    return { client, open: JSON.parse(first.slice(1)) as OpenPayload };
  }

  /** The frames that arrived and were not taken yet. */
  get queued(): readonly Frame[] {
    return this.queue;
  }

  /** How many frames arrived and were not taken yet. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Removes and returns the first queued frame that `match` accepts, waiting for it; rejects when
   * the connection closes first, or after `timeoutMs`.
   */
  async take(match: (frame: Frame) => boolean, what = 'a frame', timeoutMs = GUARD_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.queue.findIndex(match);
      if (index !== -1) return this.queue.splice(index, 1)[0]!;
      if (this.ended) throw new Error(`the connection closed before ${what}; queued: ${this.describeQueue()}`);
      const arrived = () => this.ended || this.queue.some(match);
      // Another take may have had the frame first: then wait again, until the same deadline.
      await this.changes.until(arrived, what, Math.max(0, deadline - Date.now())).catch((err: Error) => {
        throw new Error(`${err.message}; queued: ${this.describeQueue()}`);
      });
    }
  }

  /** The next frame. */
  next(what = 'a frame', timeoutMs = GUARD_MS): Promise<Frame> {
    return this.take(() => true, what, timeoutMs);
  }

  /** The next frame, which must be a text frame. */
  async nextText(what = 'a text frame', timeoutMs = GUARD_MS): Promise<string> {
    const frame = await this.next(what, timeoutMs);
    if (typeof frame !== 'string') throw new Error(`expected a text frame for ${what}, got ${frame.length} binary bytes`);
    return frame;
  }

  /** The next frame, which must be a JSON text frame, parsed. */
  async nextJson(what = 'a JSON frame', timeoutMs = GUARD_MS): Promise<unknown> {
    return JSON.parse(await this.nextText(what, timeoutMs));
  }

  /** The next frame, which must be a binary frame. */
  async nextBinary(what = 'a binary frame', timeoutMs = GUARD_MS): Promise<Buffer> {
    const frame = await this.next(what, timeoutMs);
    if (!Buffer.isBuffer(frame)) throw new Error(`expected a binary frame for ${what}, got ${JSON.stringify(frame)}`);
    return frame;
  }

  /** The next frame that is not an Engine.IO ping; the pings before it are taken and dropped. */
  async nextNonPing(what = 'a frame other than a ping', timeoutMs = GUARD_MS): Promise<Frame> {
    for (;;) {
      const frame = await this.next(what, timeoutMs);
      if (frame !== '2') return frame;
    }
  }

  send(data: Frame): void {
    this.ws.send(data);
  }

  /** Sends a value as a JSON text frame. */
  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  /** From now on, answers every Engine.IO ping with a pong and keeps pings out of the queue. */
  answerPings(): void {
    this.pongs = true;
  }

  /** Closes the connection with a close frame; resolves once it is closed. */
  close(code = 1000): Promise<CloseInfo> {
    if (!this.ended) this.ws.close(code);
    return this.closed;
  }

  /** Drops the connection without a close frame. */
  terminate(): void {
    this.ws.terminate();
  }

  private describeQueue(): string {
    return JSON.stringify(this.queue.map((f) => (typeof f === 'string' ? f : `<${f.length} bytes>`)));
  }
}

/** Drops every raw WebSocket client still open and waits until each is closed. */
export async function closeWsClients(): Promise<void> {
  const open = [...openClients];
  for (const client of open) client.terminate();
  await withTimeout(Promise.all(open.map((c) => c.closed)), 'the raw WebSocket clients to close');
}

/** Splits a polling payload into its packets. */
export function packets(body: string): string[] {
  return body.split('\x1e');
}
