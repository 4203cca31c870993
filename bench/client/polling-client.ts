/**
 * A minimal Engine.IO v4 / Socket.IO v5 long-polling client on node:http with a keep-alive Agent:
 * the open GET, `40` connect, one GET always held for server packets, and POSTs never overlapping
 * (Engine.IO refuses a second POST while one is pending), packets queued meanwhile and sent
 * together, separated by \x1e. It answers pings itself and hands every Socket.IO packet after the
 * connect to `onPacket`.
 */
import { type Agent, request } from 'node:http';

const SEP = '\x1e';

export interface PollingClientOptions {
  port: number;
  agent: Agent;
  host?: string;
  path?: string;
  onPacket?: (text: string) => void;
  onClose?: (reason: string) => void;
}

interface HttpReply {
  status: number;
  body: string;
}

function httpRequest(
  opts: { host: string; port: number; path: string; agent: Agent },
  method: 'GET' | 'POST',
  body?: string,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (body !== undefined) {
      headers['content-type'] = 'text/plain;charset=UTF-8';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = request({
      host: opts.host,
      port: opts.port,
      path: opts.path,
      agent: opts.agent,
      method,
      headers,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
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

  constructor(private readonly opts: PollingClientOptions) {
    this.host = opts.host ?? '127.0.0.1';
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

  /** Stops polling; the server times the session out (or the process exits first). */
  close(): void {
    this.finish('client close');
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.(reason);
  }

  private req(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpReply> {
    return httpRequest({ host: this.host, port: this.opts.port, path, agent: this.opts.agent }, method, body);
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
