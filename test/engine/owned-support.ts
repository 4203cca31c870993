/**
 * Fixtures for the tests of the engine's own HTTP path (ownHttp): an engine at /e/ with ownHttp on,
 * on an http.Server whose own handler serves every other path, and a raw TCP connection that
 * reads HTTP/1.1 answers in order.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after } from 'node:test';
import type { EngineOptions } from '../../src/engine/options.js';
import { EngineServer } from '../../src/engine/server.js';
import type { EngineSession } from '../../src/engine/types.js';
import { closeHttp, listenOnLoopback } from '../support/loopback.js';
import { waitUntil } from '../support/waiting.js';

export interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One raw TCP connection that reads HTTP/1.1 responses (Content-Length bodies) in order. */
export class RawConnection {
  private buffered = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  readonly closed: Promise<void>;
  ended = false;
  /** How many bytes the test wrote on the connection. */
  written = 0;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake?.();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.written += Buffer.byteLength(data);
    this.socket.write(data);
  }

  /** The next whole response on the connection. */
  async response(): Promise<Response> {
    for (;;) {
      const parsed = this.take();
      if (parsed !== undefined) return parsed;
      if (this.ended) throw new Error(`connection closed; unread: ${JSON.stringify(this.buffered.toString())}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private take(): Response | undefined {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const lines = this.buffered.toString('latin1', 0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffered.length < end + 4 + length) return undefined;
    const body = this.buffered.toString('utf8', end + 4, end + 4 + length);
    this.buffered = this.buffered.subarray(end + 4 + length);
    return { status: Number(lines[0]!.split(' ')[1]), headers, body };
  }
}

export interface OwnedFixture {
  readonly http: Server;
  readonly engine: EngineServer;
  readonly port: number;
  /** Requests node:http parsed (counted by a listener added after attach). */
  nodeRequests: number;
  readonly sessions: EngineSession[];
}

const fixtures: OwnedFixture[] = [];
// Each test file runs in its own process: this closes the fixtures of the file that imports it.
after(async () => {
  for (const f of fixtures) {
    await f.engine.close();
    await closeHttp(f.http);
  }
});

/** An engine at /e/ with ownHttp on that echoes messages, on a server whose own handler serves every other path. */
export async function start(options: Partial<EngineOptions> = {}): Promise<OwnedFixture> {
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const body = `page ${req.url}`;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  const sessions: EngineSession[] = [];
  const engine = new EngineServer(
    {
      onSession(session) {
        sessions.push(session);
        return { onMessage: (data) => session.send(data), onClose() {} };
      },
    },
    { path: '/e/', pingInterval: 300, pingTimeout: 200, ownHttp: true, ...options },
  );
  engine.attach(http);
  const fixture = { http, engine, port: 0, nodeRequests: 0, sessions };
  http.on('request', () => {
    fixture.nodeRequests++;
  });
  fixture.port = await listenOnLoopback(http);
  fixtures.push(fixture);
  return fixture;
}

export const HANDSHAKE = 'GET /e/?EIO=4&transport=polling HTTP/1.1\r\nHost: t\r\n\r\n';
export const getOf = (sid: string): string => `GET /e/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: t\r\n\r\n`;
export const postOf = (sid: string, body: string, extra = ''): string =>
  `POST /e/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: t\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

/** The POST just written is answered `ok`, and the next GET brings back its echo. */
export async function assertEchoed(c: RawConnection, sid: string, expected: string): Promise<void> {
  assert.equal((await c.response()).body, 'ok');
  c.write(getOf(sid));
  assert.equal((await c.response()).body, expected);
}

export async function handshake(c: RawConnection): Promise<string> {
  c.write(HANDSHAKE);
  const answer = await c.response();
  assert.equal(answer.status, 200, answer.body);
  return (JSON.parse(answer.body.slice(1)) as { sid: string }).sid;
}

/** Sends `bytes` on a new connection; resolves with the one answer once the server has closed it. */
export async function lastAnswer(f: OwnedFixture, bytes: string): Promise<Response> {
  const c = await RawConnection.open(f.port);
  c.write(bytes);
  const answer = await c.response();
  await c.closed;
  return answer;
}

/** A fixture, one raw connection, and a session opened on it. */
export async function startWithSession(options: Partial<EngineOptions> = {}): Promise<{
  f: OwnedFixture;
  c: RawConnection;
  sid: string;
  /** Resolves once the server has read every byte written on `c` so far (see `watchReads`). */
  serverHasRead: () => Promise<void>;
}> {
  const f = await start(options);
  const hasRead = watchReads(f);
  const c = await RawConnection.open(f.port);
  return { f, c, sid: await handshake(c), serverHasRead: () => hasRead(c) };
}

/**
 * From now on, records the server's side of each connection `f` accepts (a 'connection' listener,
 * so not in the fixture itself: tests check those listeners). The function returned resolves once
 * the server has read every byte written on a connection opened since: no event tells when bytes
 * were read, so the server side's byte count is polled.
 */
export function watchReads(f: OwnedFixture): (c: RawConnection) => Promise<void> {
  const accepted: Socket[] = [];
  f.http.on('connection', (socket: Socket) => accepted.push(socket));
  return async (c) => {
    const serverSide = () => accepted.find((s) => s.remotePort === c.socket.localPort);
    await waitUntil(() => serverSide()?.bytesRead === c.written, `the server to read ${c.written} bytes`);
  };
}
