/**
 * What every check of the probe shares: the target as typed, the query builders, the words for an
 * answer or an error, and the {@link Recorder} that asks one bounded request and keeps the evidence.
 */
import { askHttp, type HttpAnswer, probeError } from './transport.js';
import type {
  CheckId,
  CheckResult,
  CheckStatus,
  EngineHandshake,
  ProbeError,
  ProbeOptions,
} from './types.js';
import { authQuery } from './wire.js';

/** Default timeout of each check, ms. */
export const DEFAULT_CHECK_TIMEOUT_MS = 3000;

/** Where the probe goes: `http(s)://host:port` and the path. */
export interface ProbeTarget {
  readonly origin: string;
  readonly path: string;
}

/** Reads the URL as a person types it: http(s) or ws(s), or no scheme at all (http). */
export function parseTarget(url: string): ProbeTarget | ProbeError {
  let parsed: URL;
  try {
    parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`);
  } catch {
    return probeError('invalid-url', `not a URL: ${url}`);
  }
  const scheme = { 'http:': 'http:', 'ws:': 'http:', 'https:': 'https:', 'wss:': 'https:' }[parsed.protocol];
  if (!scheme)
    return probeError('invalid-url', `unsupported scheme ${parsed.protocol} (use http, https, ws or wss)`);
  return { origin: `${scheme}//${parsed.host}`, path: parsed.pathname || '/' };
}

/** One line of what a body said: whitespace collapsed, cut to `max` characters. */
export function shorten(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function describeHttp(answer: HttpAnswer): string {
  const type = answer.headers['content-type'];
  const body = shorten(answer.body);
  return [String(answer.status), type ? `(${type.split(';')[0]})` : '', body].filter(Boolean).join(' ');
}

export function describeError(error: ProbeError): string {
  return `no answer: ${error.code} (${error.message})`;
}

/**
 * The query of a polling handshake. b64=1 makes a v3 server answer in its string format, never
 * binary; and a v3 server gets the auth as query parameters, where its middleware looks for them.
 */
export function pollingQuery(eio: 3 | 4, auth: ProbeOptions['auth']): Record<string, string> {
  return eio === 3
    ? { EIO: '3', transport: 'polling', b64: '1', ...authQuery(auth) }
    : { EIO: '4', transport: 'polling' };
}

export function toggleSlash(path: string): string {
  if (path === '/') return path;
  return path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
}

export function withQuery(path: string, query: Record<string, string>): string {
  return `${path}?${new URLSearchParams(query).toString()}`;
}

/** The findings of the Engine.IO checks on one path. */
export interface PollingFinding {
  readonly path: string;
  readonly handshake: EngineHandshake;
  /** Socket.IO messages that came with the handshake (a v2-era server's automatic `0` CONNECT). */
  readonly messages: readonly string[];
}

/** The query of a request on a polling session the probe opened (v3 asks for base64 binary). */
export function sessionQuery({ handshake }: PollingFinding): Record<string, string> {
  return {
    EIO: String(handshake.version),
    transport: 'polling',
    sid: handshake.sid,
    ...(handshake.version === 3 ? { b64: '1' } : {}),
  };
}

/** The running probe: its target, options and the evidence so far. */
export class Recorder {
  readonly evidence: CheckResult[] = [];
  readonly timeoutMs: number;
  readonly namespace: string;

  constructor(
    readonly target: ProbeTarget,
    readonly options: ProbeOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    this.namespace = options.namespace ?? '/';
  }

  url(pathAndQuery: string): URL {
    return new URL(pathAndQuery, this.target.origin);
  }

  record(
    id: CheckId,
    request: string,
    status: CheckStatus,
    answer: string,
    started: number,
    error?: ProbeError,
  ): void {
    this.evidence.push({
      id,
      request,
      status,
      answer,
      elapsedMs: Math.round(performance.now() - started),
      ...(error ? { error } : {}),
    });
  }

  skip(id: CheckId, request: string, why: string): void {
    this.evidence.push({ id, request, status: 'skipped', answer: why, elapsedMs: 0 });
  }

  /** A GET, recorded; returns the answer or the error. */
  async get(
    id: CheckId,
    pathAndQuery: string,
    judge: (a: HttpAnswer) => CheckStatus,
    headers?: Record<string, string>,
  ) {
    const started = performance.now();
    const outcome = await askHttp({
      url: this.url(pathAndQuery),
      timeoutMs: this.timeoutMs,
      ...(headers ? { headers } : {}),
    });
    const request = `GET ${pathAndQuery}${headers?.origin ? ` (Origin: ${headers.origin})` : ''}`;
    if (outcome.ok) this.record(id, request, judge(outcome.value), describeHttp(outcome.value), started);
    else this.record(id, request, 'fail', describeError(outcome.error), started, outcome.error);
    return outcome;
  }
}
