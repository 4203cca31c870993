/**
 * Raw protocol clients for tests: one HTTP request per fresh connection, a long-polling session
 * driven by hand, and a WebSocket client that queues frames. They speak bytes, not Socket.IO: the
 * server under test is what is checked.
 */
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { WebSocket } from 'ws';
import { deferred, waitUntil } from './waiting.js';

/** A raw HTTP answer. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
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
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
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
  private constructor(
    readonly base: string,
    readonly open: OpenPayload,
  ) {}

  /** Opens a session with a handshake GET. */
  static async handshake(base: string): Promise<RawPolling> {
    const answer = await http(`${base}?EIO=4&transport=polling`);
    if (answer.status !== 200 || answer.body[0] !== '0') {
      throw new Error(`handshake failed: ${answer.status} ${answer.body}`);
    }
    return new RawPolling(base, JSON.parse(answer.body.slice(1)) as OpenPayload);
  }

  get sid(): string {
    return this.open.sid;
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

/** A `ws` client that queues frames (text as string, binary as Buffer). */
export class WsClient {
  readonly ws: WebSocket;
  readonly frames: (string | Buffer)[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number }>;
  /** The HTTP answer if the upgrade was refused. */
  readonly refused: Promise<{ status: number; body: string }>;
  private readonly waiters: (() => void)[] = [];
  private taken = 0;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    const closed = deferred<{ code: number }>();
    const refused = deferred<{ status: number; body: string }>();
    this.closed = closed.promise;
    this.refused = refused.promise;
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.opened.catch(() => {});
    this.ws.on('error', () => {});
    this.ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        refused.resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        closed.resolve({ code: 0 });
      });
    });
    this.ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      this.frames.push(isBinary ? buf : buf.toString('utf8'));
      for (const w of this.waiters.splice(0)) w();
    });
    this.ws.on('close', (code) => closed.resolve({ code }));
  }

  /** The next frame not yet taken. */
  async next(timeoutMs = 3000): Promise<string | Buffer> {
    await waitUntil(() => this.frames.length > this.taken, 'a websocket frame', timeoutMs);
    return this.frames[this.taken++]!;
  }

  /** The next frame that is not a ping (pings are answered when `pong` is set). */
  async nextNonPing(timeoutMs = 3000): Promise<string | Buffer> {
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (frame !== '2') return frame;
    }
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Answers every ping with a pong from now on. */
  autoPong(): void {
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary && data.toString() === '2') this.ws.send('3');
    });
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** Splits a polling payload into its packets. */
export function packets(body: string): string[] {
  return body.split('\x1e');
}
