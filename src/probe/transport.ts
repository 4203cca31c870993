/**
 * The probe's two ways to ask an endpoint something, each bounded by its own timeout: one HTTP
 * request, and one WebSocket upgrade (with the first frames it brings). Neither throws: a failure is
 * a typed {@link ProbeError}, so every check can record what happened and the probe goes on.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import type { ProbeError, ProbeErrorCode } from './types.js';

/** The most of a body the probe keeps: enough to recognise a handshake or an error message. */
const BODY_LIMIT = 4096;

/** How long a closed WebSocket may wait for the peer's close frame before its socket is dropped. */
const CLOSE_GRACE_MS = 500;

/** The answer to one HTTP request. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as text, cut at {@link BODY_LIMIT} characters. */
  readonly body: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ProbeError };

export interface HttpAsk {
  readonly url: URL;
  readonly method?: 'GET' | 'POST' | 'OPTIONS';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
}

/** Node's socket error codes, sorted into what a person can act on. */
function codeOf(err: unknown): ProbeErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no-route';
    default:
      if (typeof code === 'string' && /CERT|SSL|TLS/.test(code)) return 'tls';
      return 'other';
  }
}

export function probeError(code: ProbeErrorCode, message: string): ProbeError {
  return { code, message };
}

function errorOf(err: unknown): ProbeError {
  const message = err instanceof Error ? err.message : String(err);
  return probeError(codeOf(err), message);
}

/** A timeout says whether the TCP connection was ever made: "no answer" and "no server" differ. */
function timeoutError(connected: boolean, ms: number): ProbeError {
  return connected
    ? probeError('timeout', `connected, but no answer within ${ms} ms`)
    : probeError('connect-timeout', `no TCP connection within ${ms} ms`);
}

function readBody(res: IncomingMessage, done: (body: string) => void): void {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    if (body.length < BODY_LIMIT) body += chunk;
  });
  res.on('end', () => done(body.slice(0, BODY_LIMIT)));
  res.on('error', () => done(body.slice(0, BODY_LIMIT)));
}

/** One HTTP request; resolves with the status, headers and (start of the) body, or a typed error. */
export function askHttp(ask: HttpAsk): Promise<Outcome<HttpAnswer>> {
  return new Promise((resolve) => {
    const send = ask.url.protocol === 'https:' ? httpsRequest : httpRequest;
    let connected = false;
    let settled = false;
    const finish = (outcome: Outcome<HttpAnswer>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const headers: Record<string, string> = { ...ask.headers };
    if (ask.body !== undefined) {
      headers['content-type'] ??= 'text/plain;charset=UTF-8';
      headers['content-length'] = String(Buffer.byteLength(ask.body));
    }
    // agent: false, so no keep-alive socket outlives the probe and keeps the process running.
    const req = send(ask.url, { method: ask.method ?? 'GET', headers, agent: false });
    const timer = setTimeout(
      () => finish({ ok: false, error: timeoutError(connected, ask.timeoutMs) }),
      ask.timeoutMs,
    );
    req.on('socket', (socket) => {
      socket.once('connect', () => {
        connected = true;
      });
    });
    req.on('error', (err) => finish({ ok: false, error: errorOf(err) }));
    req.on('response', (res) => {
      readBody(res, (body) =>
        finish({ ok: true, value: { status: res.statusCode ?? 0, headers: res.headers, body } }),
      );
    });
    req.end(ask.body);
  });
}

/** What a WebSocket upgrade led to. */
export type UpgradeAnswer =
  /** 101: the connection is open; `frames` are the text frames received (binary shown as `<N bytes>`). */
  | {
      kind: 'open';
      headers: IncomingHttpHeaders;
      frames: string[];
      closed?: { code: number; reason: string };
    }
  /** Any other HTTP answer to the upgrade request. */
  | { kind: 'refused'; answer: HttpAnswer };

export interface UpgradeAsk {
  readonly url: URL;
  readonly headers?: Record<string, string>;
  readonly timeoutMs: number;
  /**
   * After the 101, called with each frame and a way to send: returns true once it has seen enough.
   * Without it the probe waits for one frame (or `settleMs`).
   */
  readonly converse?: (frame: string, send: (text: string) => void) => boolean;
  /** Sent right after the 101. */
  readonly greeting?: string;
  /** How long to wait for frames after the 101 when none are required (a plain server may say nothing). */
  readonly settleMs?: number;
}

/**
 * One WebSocket upgrade to `url` (http(s) or ws(s)); after a 101, reads frames until `converse`
 * says enough, the peer closes, or the time is up, then closes the connection.
 */
export function askUpgrade(ask: UpgradeAsk): Promise<Outcome<UpgradeAnswer>> {
  return new Promise((resolve) => {
    const target = new URL(ask.url);
    if (target.protocol === 'http:') target.protocol = 'ws:';
    if (target.protocol === 'https:') target.protocol = 'wss:';
    let settled = false;
    let upgraded: IncomingHttpHeaders | undefined;
    const frames: string[] = [];
    const ws = new WebSocket(target, {
      headers: ask.headers,
      handshakeTimeout: ask.timeoutMs,
      // The probe reports what the server offers; compression would only blur the evidence.
      perMessageDeflate: false,
      followRedirects: false,
    });
    const finish = (outcome: Outcome<UpgradeAnswer>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(settle);
      ws.removeAllListeners();
      // An error after the answer is known changes nothing; it must not become an unhandled event.
      ws.on('error', () => {});
      if (ws.readyState === WebSocket.OPEN) {
        ws.close(1000);
        // A peer that never answers the close frame would hold the socket for ws's 30 s close
        // timeout, and the command with it.
        const kill = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
        ws.once('close', () => clearTimeout(kill));
      } else ws.terminate();
      resolve(outcome);
    };
    const opened = (closed?: { code: number; reason: string }) =>
      finish({
        ok: true,
        value: { kind: 'open', headers: upgraded ?? {}, frames, ...(closed ? { closed } : {}) },
      });
    const timer = setTimeout(() => {
      if (upgraded) opened();
      // ws does not say when its TCP connection is made; the probe asks for HTTP first, so an
      // upgrade that times out is to a host already known to answer.
      else finish({ ok: false, error: timeoutError(true, ask.timeoutMs) });
    }, ask.timeoutMs);
    let settle: NodeJS.Timeout | undefined;
    ws.on('upgrade', (res) => {
      upgraded = res.headers;
    });
    ws.on('open', () => {
      if (ask.greeting !== undefined) ws.send(ask.greeting);
      if (!ask.converse) settle = setTimeout(() => opened(), ask.settleMs ?? Math.min(1000, ask.timeoutMs));
    });
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? `<${(data as Buffer).length} bytes>` : data.toString();
      frames.push(text);
      if (ask.converse ? ask.converse(text, (t) => ws.send(t)) : true) opened();
    });
    ws.on('close', (code, reason) => opened({ code, reason: reason.toString() }));
    ws.on('unexpected-response', (_req, res) => {
      readBody(res, (body) =>
        finish({
          ok: true,
          value: { kind: 'refused', answer: { status: res.statusCode ?? 0, headers: res.headers, body } },
        }),
      );
    });
    ws.on('error', (err) => {
      if (upgraded) opened();
      else finish({ ok: false, error: errorOf(err) });
    });
  });
}
