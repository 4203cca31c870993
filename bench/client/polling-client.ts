/**
 * A minimal Engine.IO v4 / Socket.IO v5 long-polling client speaking raw HTTP/1.1 over node:net
 * (no node:http client: its cost would be the generator's, and would vary with how each server
 * frames its answers). Two keep-alive connections per client (or, with `newConnectionPerRequest`,
 * a new TCP connection for every request), one request in flight on each: one
 * for the GETs (the open request, then a GET always held for server packets), one for POSTs, which
 * never overlap (Engine.IO refuses a second POST while one is pending); packets queued meanwhile
 * are sent together, separated by \x1e. It answers pings itself and hands every Socket.IO packet
 * after the connect to `onPacket`.
 */
import { connect, type Socket } from 'node:net';

const SEP = '\x1e';

export interface PollingClientOptions {
  port: number;
  host?: string;
  path?: string;
  onPacket?: (text: string) => void;
  onClose?: (reason: string) => void;
  /**
   * Sends `Connection: close` with every request, so each request is a new TCP connection (behind
   * a TCP load balancer, each request may reach another node). Default: keep-alive.
   */
  newConnectionPerRequest?: boolean;
}

interface HttpReply {
  status: number;
  body: string;
}

/**
 * One keep-alive HTTP/1.1 connection with at most one request in flight. Answers are read by their
 * Content-Length (every Engine.IO server here sends one with its 200s); one without gives its
 * status and an empty body, and closes the connection. `Connection: close` reconnects on the next
 * request.
 */
class RawHttpConnection {
  private socket: Socket | undefined;
  private buffered: Buffer | undefined;
  private pending: { resolve: (reply: HttpReply) => void; reject: (err: Error) => void } | undefined;
  /** Answers read, and how many had status 400. */
  answers = 0;
  refused = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly close1 = false,
  ) {}

  request(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpReply> {
    if (this.pending !== undefined) return Promise.reject(new Error('request already in flight'));
    const socket = this.socket ?? this.open();
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\n`;
    if (this.close1) head += 'Connection: close\r\n';
    if (body !== undefined) {
      head += `Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    }
    socket.write(body === undefined ? `${head}\r\n` : `${head}\r\n${body}`);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  /**
   * Leaves the current socket to the server, which said it closes it: the next request opens
   * another. Closing it here first would leave this side in TIME_WAIT, one ephemeral port held for
   * a minute per request (tens of thousands in a run with a connection per request); as the
   * passive side it closes at once. A server that does not close it in 2 s gets it destroyed.
   */
  private detach(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.buffered = undefined;
    if (socket !== undefined) setTimeout(() => socket.destroy(), 2000).unref();
  }

  private open(): Socket {
    const socket = connect(this.port, this.host);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.onData(chunk);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      // A socket given up already (its answer said `Connection: close`) may close after the next
      // request went out on a new one: only the current socket's close fails a pending request.
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.buffered = undefined;
      this.fail(new Error('connection closed'));
    });
    this.socket = socket;
    return socket;
  }

  private fail(err: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }

  private onData(chunk: Buffer): void {
    const data = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
    const end = data.indexOf('\r\n\r\n');
    if (end === -1) {
      this.buffered = data;
      return;
    }
    const head = data.toString('latin1', 0, end);
    const lengthAt = head.search(/\r\ncontent-length:/i);
    if (lengthAt === -1) {
      // Chunked or close-delimited (socket.io's 400 "Session ID unknown"): the status is enough;
      // the body is not read and the connection is dropped.
      const pending = this.pending;
      this.pending = undefined;
      this.detach();
      pending?.resolve(this.counted({ status: Number(head.slice(9, 12)), body: '' }));
      return;
    }
    const length = Number.parseInt(head.slice(lengthAt + 17), 10);
    if (data.length < end + 4 + length) {
      this.buffered = data;
      return;
    }
    this.buffered = data.length > end + 4 + length ? data.subarray(end + 4 + length) : undefined;
    const status = Number(head.slice(9, 12));
    const body = data.toString('utf8', end + 4, end + 4 + length);
    if (/\r\nconnection: *close/i.test(head)) this.detach();
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(this.counted({ status, body }));
  }

  private counted(reply: HttpReply): HttpReply {
    this.answers++;
    if (reply.status === 400) this.refused++;
    return reply;
  }
}

export class PollingClient {
  private readonly host: string;
  private readonly basePath: string;
  private path = '';
  private closed = false;
  private posting = false;
  private queue: string[] = [];
  sid = '';
  onPacket: ((text: string) => void) | undefined;
  onClose: ((reason: string) => void) | undefined;

  private readonly gets: RawHttpConnection;
  private readonly posts: RawHttpConnection;

  constructor(opts: PollingClientOptions) {
    this.host = opts.host ?? '127.0.0.1';
    const close1 = opts.newConnectionPerRequest === true;
    this.gets = new RawHttpConnection(this.host, opts.port, close1);
    this.posts = new RawHttpConnection(this.host, opts.port, close1);
    this.basePath = `${opts.path ?? '/socket.io/'}?EIO=4&transport=polling`;
    this.onPacket = opts.onPacket;
    this.onClose = opts.onClose;
  }

  /** Opens the Engine.IO session, connects the main namespace, then keeps a GET held. */
  async connect(): Promise<void> {
    const open = await this.req('GET', this.basePath);
    if (open.status !== 200 || !open.body.startsWith('0')) throw new Error(`open failed: ${open.status}`);
    const engineSid = (JSON.parse(open.body.split(SEP)[0]!.slice(1)) as { sid: string }).sid;
    this.path = `${this.basePath}&sid=${encodeURIComponent(engineSid)}`;
    const posted = await this.req('POST', this.path, '40');
    if (posted.status !== 200) throw new Error(`connect POST failed: ${posted.status}`);
    // The `40` reply may share a payload with pings; read until it comes (bounded).
    for (let tries = 0; tries < 5 && this.sid === ''; tries++) {
      const got = await this.req('GET', this.path);
      if (got.status !== 200) throw new Error(`connect GET failed: ${got.status}`);
      for (const p of got.body.split(SEP)) {
        if (p.startsWith('40')) this.sid = /"sid":"([^"]+)"/.exec(p)?.[1] ?? '?';
        else if (p.startsWith('44')) throw new Error(`connect error ${p}`);
        else if (p === '2') this.send('3');
      }
    }
    if (this.sid === '') throw new Error('no connect packet');
    void this.poll();
  }

  /** Queues one Engine.IO packet; POSTs never overlap. */
  send(text: string): void {
    if (this.closed) return;
    this.queue.push(text);
    if (!this.posting) void this.flush();
  }

  /** Stops polling and closes both connections (the server sees the held GET go). */
  close(): void {
    this.finish('client close');
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.gets.close();
    this.posts.close();
    this.onClose?.(reason);
  }

  /** HTTP answers received on both connections. */
  get answers(): number {
    return this.gets.answers + this.posts.answers;
  }

  /** Of those, the ones with status 400 (e.g. "Session ID unknown"). */
  get refused(): number {
    return this.gets.refused + this.posts.refused;
  }

  private req(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpReply> {
    return method === 'GET' ? this.gets.request('GET', path) : this.posts.request('POST', path, body);
  }

  private async flush(): Promise<void> {
    this.posting = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const body = this.queue.length === 1 ? this.queue[0]! : this.queue.join(SEP);
        this.queue = [];
        const res = await this.req('POST', this.path, body);
        if (res.status !== 200) {
          this.finish(`POST ${res.status} ${res.body}`);
          return;
        }
      }
    } catch (err) {
      this.finish(`POST error ${(err as Error).message}`);
    } finally {
      this.posting = false;
    }
  }

  private async poll(): Promise<void> {
    while (!this.closed) {
      let res: HttpReply;
      try {
        res = await this.req('GET', this.path);
      } catch (err) {
        this.finish(`GET error ${(err as Error).message}`);
        return;
      }
      if (res.status !== 200) {
        this.finish(`GET ${res.status} ${res.body}`);
        return;
      }
      for (const p of res.body.split(SEP)) {
        const type = p.charCodeAt(0);
        if (type === 52 /* '4' */) this.onPacket?.(p);
        else if (type === 50 /* '2' */) this.send('3');
        else if (type === 49 /* '1' */) {
          this.finish('engine close');
          return;
        }
      }
    }
  }
}
