/**
 * `probe(url)`: asks an endpoint, one bounded request at a time, what it speaks: HTTP, a plain
 * WebSocket upgrade, Engine.IO v4 and v3 polling handshakes (with and without the trailing slash,
 * and at the default /socket.io/), the Engine.IO WebSocket transport and the upgrade from polling,
 * a Socket.IO CONNECT, and Origin acceptance. Each answer becomes a {@link CheckResult}; the
 * verdict, its plain words and the connect code are derived from them (verdict.ts, snippets.ts).
 */
import { askHttp, askUpgrade, type HttpAnswer, type Outcome, probeError } from './transport.js';
import { describeVerdict, exitCodeOf, speaksOf } from './verdict.js';
import { gatewayCommand, snippetsFor } from './snippets.js';
import type {
  CheckId,
  CheckResult,
  CheckStatus,
  ConnectFinding,
  EngineHandshake,
  OriginFinding,
  PlainWebSocketFinding,
  ProbeError,
  ProbeOptions,
  ProbeReport,
  TransportName,
  Verdict,
} from './types.js';
import {
  authQuery,
  connectMessage,
  pollingBody,
  readConnectAnswer,
  readOpenFrame,
  readPolling,
} from './wire.js';

/** Default timeout of each check, ms. */
export const DEFAULT_CHECK_TIMEOUT_MS = 3000;

/** The Socket.IO clients' default path. */
const DEFAULT_PATH = '/socket.io/';

/**
 * Errors of the first request after which nothing else is asked: there is no server, or it does
 * not answer HTTP at all (a silent peer would cost every further check its whole timeout).
 */
const UNREACHABLE: ReadonlySet<ProbeError['code']> = new Set([
  'refused',
  'dns',
  'connect-timeout',
  'timeout',
  'no-route',
  'tls',
  'invalid-url',
]);

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

function describeHttp(answer: HttpAnswer): string {
  const type = answer.headers['content-type'];
  const body = shorten(answer.body);
  return [String(answer.status), type ? `(${type.split(';')[0]})` : '', body].filter(Boolean).join(' ');
}

function describeError(error: ProbeError): string {
  return `no answer: ${error.code} (${error.message})`;
}

/**
 * The query of a polling handshake. b64=1 makes a v3 server answer in its string format, never
 * binary; and a v3 server gets the auth as query parameters, where its middleware looks for them.
 */
function pollingQuery(eio: 3 | 4, auth: ProbeOptions['auth']): Record<string, string> {
  return eio === 3
    ? { EIO: '3', transport: 'polling', b64: '1', ...authQuery(auth) }
    : { EIO: '4', transport: 'polling' };
}

function toggleSlash(path: string): string {
  if (path === '/') return path;
  return path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
}

function withQuery(path: string, query: Record<string, string>): string {
  return `${path}?${new URLSearchParams(query).toString()}`;
}

/** The findings of the Engine.IO checks on one path. */
interface PollingFinding {
  readonly path: string;
  readonly handshake: EngineHandshake;
  /** Socket.IO messages that came with the handshake (a v2-era server's automatic `0` CONNECT). */
  readonly messages: readonly string[];
}

/** The running probe: its target, options and the evidence so far. */
/** The query of a request on a polling session the probe opened (v3 asks for base64 binary). */
function sessionQuery({ handshake }: PollingFinding): Record<string, string> {
  return {
    EIO: String(handshake.version),
    transport: 'polling',
    sid: handshake.sid,
    ...(handshake.version === 3 ? { b64: '1' } : {}),
  };
}

class Probe {
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

  /** 1. Is anything there at all? */
  async reachability(): Promise<Outcome<HttpAnswer>> {
    return this.get('http', this.target.path, () => 'info');
  }

  /** 2. The seed's `new WebSocket('ws://host/path')`: no EIO, no sid. */
  async plainWebSocket(): Promise<PlainWebSocketFinding> {
    const started = performance.now();
    const request = `WebSocket upgrade ${this.target.path} (plain, no EIO)`;
    const outcome = await askUpgrade({ url: this.url(this.target.path), timeoutMs: this.timeoutMs });
    if (!outcome.ok) {
      this.record('websocket-plain', request, 'fail', describeError(outcome.error), started, outcome.error);
      return { kind: 'failed', error: outcome.error };
    }
    const answer = outcome.value;
    if (answer.kind === 'refused') {
      this.record('websocket-plain', request, 'fail', describeHttp(answer.answer), started);
      return { kind: 'refused', status: answer.answer.status, body: shorten(answer.answer.body, 300) };
    }
    const first = answer.frames[0];
    const said = first === undefined ? 'no frame' : `first frame ${shorten(first)}`;
    this.record('websocket-plain', request, 'pass', `101 Switching Protocols, ${said}`, started);
    if (first !== undefined && isPlainConnectFrame(first))
      return { kind: 'parley', connectFrame: shorten(first, 300) };
    return first === undefined ? { kind: 'accepted' } : { kind: 'accepted', firstFrame: shorten(first, 300) };
  }

  /** 3–5. An Engine.IO polling handshake at `path`, recorded as `id`. */
  async pollingHandshake(
    id: CheckId,
    path: string,
    eio: 3 | 4,
    headers?: Record<string, string>,
  ): Promise<PollingFinding | undefined> {
    const query = pollingQuery(eio, this.options.auth);
    let found: PollingFinding | undefined;
    await this.get(
      id,
      withQuery(path, query),
      (answer) => {
        const contents = answer.status === 200 ? readPolling(answer.body) : undefined;
        if (!contents?.handshake) return 'fail';
        found = { path, handshake: contents.handshake, messages: contents.messages };
        return 'pass';
      },
      headers,
    );
    return found;
  }

  /** 6. The Engine.IO WebSocket transport without polling first. */
  async engineWebSocket(path: string, eio: 3 | 4): Promise<EngineHandshake | undefined> {
    const pathAndQuery = withQuery(path, { EIO: String(eio), transport: 'websocket' });
    const started = performance.now();
    const request = `WebSocket upgrade ${pathAndQuery}`;
    const outcome = await askUpgrade({
      url: this.url(pathAndQuery),
      timeoutMs: this.timeoutMs,
      converse: () => true,
    });
    if (!outcome.ok) {
      this.record('eio-websocket', request, 'fail', describeError(outcome.error), started, outcome.error);
      return undefined;
    }
    if (outcome.value.kind === 'refused') {
      this.record('eio-websocket', request, 'fail', describeHttp(outcome.value.answer), started);
      return undefined;
    }
    const first = outcome.value.frames[0] ?? '';
    const open = readOpenFrame(first, eio);
    this.record(
      'eio-websocket',
      request,
      open ? 'pass' : 'fail',
      `101, first frame ${first ? shorten(first) : '(none)'}`,
      started,
    );
    return open;
  }

  /** 7a. A Socket.IO CONNECT over an open polling session: POST it, then GET until answered. */
  async connectOverPolling(found: PollingFinding): Promise<ConnectFinding> {
    const { handshake, path } = found;
    const pathAndQuery = withQuery(path, sessionQuery(found));
    const started = performance.now();
    const deadline = started + this.timeoutMs;
    const nsp = this.namespace;
    const message = connectMessage(nsp, this.options.auth, handshake.version);
    const authSent = this.options.auth !== undefined;
    const request = `POST ${withQuery(path, { EIO: String(handshake.version), transport: 'polling', sid: 'SID' }).replace('SID', '<sid>')} "4${message}", then GET`;
    const finish = (finding: ConnectFinding, status: CheckStatus, answer: string) => {
      this.record('socketio-connect', request, status, answer, started);
      return finding;
    };
    // A v2-era server connects '/' on its own, right after the handshake.
    const pending = [...found.messages];
    const v3Default = handshake.version === 3 && nsp === '/';
    if (!v3Default) {
      const posted = await askHttp({
        url: this.url(pathAndQuery),
        method: 'POST',
        body: pollingBody([message], handshake.version),
        timeoutMs: this.timeoutMs,
      });
      if (!posted.ok)
        return finish(
          { kind: 'no-answer', namespace: nsp, detail: posted.error.message },
          'fail',
          describeError(posted.error),
        );
      if (posted.value.status !== 200) {
        const detail = describeHttp(posted.value);
        return finish({ kind: 'no-answer', namespace: nsp, detail }, 'fail', `POST answered ${detail}`);
      }
    }
    const seen: string[] = [];
    for (;;) {
      for (const text of pending.splice(0)) {
        seen.push(text);
        const answer = readConnectAnswer(text, nsp);
        if (answer.kind === 'connected') {
          return finish(
            { kind: 'connected', namespace: nsp, over: 'polling' },
            'pass',
            `CONNECT ${nsp} accepted: 4${shorten(text)}`,
          );
        }
        if (answer.kind === 'refused') {
          const finding: ConnectFinding = {
            kind: 'refused',
            namespace: nsp,
            message: answer.message,
            ...(answer.data !== undefined ? { data: answer.data } : {}),
            authSent,
          };
          return finish(finding, 'fail', `connect_error: 4${shorten(text, 200)}`);
        }
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        const detail = `no CONNECT answer within ${this.timeoutMs} ms${seen.length ? ` (got ${shorten(seen.join(' '), 120)})` : ''}`;
        return finish({ kind: 'no-answer', namespace: nsp, detail }, 'fail', detail);
      }
      const polled = await askHttp({ url: this.url(pathAndQuery), timeoutMs: Math.max(1, Math.round(left)) });
      if (!polled.ok)
        return finish(
          { kind: 'no-answer', namespace: nsp, detail: polled.error.message },
          'fail',
          describeError(polled.error),
        );
      const contents = polled.value.status === 200 ? readPolling(polled.value.body) : undefined;
      if (!contents) {
        const detail = `GET answered ${describeHttp(polled.value)}`;
        return finish({ kind: 'no-answer', namespace: nsp, detail }, 'fail', detail);
      }
      if (contents.closed && contents.messages.length === 0) {
        return finish(
          { kind: 'no-answer', namespace: nsp, detail: 'the server closed the session' },
          'fail',
          'the server closed the session',
        );
      }
      pending.push(...contents.messages);
    }
  }

  /** 7b. A Socket.IO CONNECT over an Engine.IO WebSocket, when polling is not served. */
  async connectOverWebSocket(path: string, version: 3 | 4): Promise<ConnectFinding> {
    const nsp = this.namespace;
    const message = connectMessage(nsp, this.options.auth, version);
    const pathAndQuery = withQuery(path, {
      EIO: String(version),
      transport: 'websocket',
      ...(version === 3 ? authQuery(this.options.auth) : {}),
    });
    const started = performance.now();
    const request = `WebSocket ${pathAndQuery}, then "4${message}"`;
    let finding: ConnectFinding | undefined;
    const outcome = await askUpgrade({
      url: this.url(pathAndQuery),
      timeoutMs: this.timeoutMs,
      converse: (frame, send) => {
        if (frame[0] === '0') {
          if (!(version === 3 && nsp === '/')) send(`4${message}`);
          return false;
        }
        if (frame[0] === '2') send(`3${frame.slice(1)}`);
        if (frame[0] !== '4') return false;
        const answer = readConnectAnswer(frame.slice(1), nsp);
        if (answer.kind === 'connected') finding = { kind: 'connected', namespace: nsp, over: 'websocket' };
        if (answer.kind === 'refused') {
          finding = {
            kind: 'refused',
            namespace: nsp,
            message: answer.message,
            ...(answer.data !== undefined ? { data: answer.data } : {}),
            authSent: this.options.auth !== undefined,
          };
        }
        return finding !== undefined;
      },
    });
    const frames = outcome.ok && outcome.value.kind === 'open' ? outcome.value.frames : [];
    const last = frames.at(-1);
    if (finding) {
      this.record(
        'socketio-connect',
        request,
        finding.kind === 'connected' ? 'pass' : 'fail',
        `${finding.kind === 'connected' ? 'CONNECT accepted' : 'connect_error'}: ${shorten(last ?? '', 200)}`,
        started,
      );
      return finding;
    }
    const detail = outcome.ok
      ? `no CONNECT answer (frames: ${shorten(frames.join(' '), 120) || 'none'})`
      : outcome.error.message;
    this.record('socketio-connect', request, 'fail', detail, started);
    return { kind: 'no-answer', namespace: nsp, detail };
  }

  /** 8. The upgrade of a polling session: `2probe` → `3probe`, then `5`. */
  async upgrade(found: PollingFinding): Promise<boolean> {
    const { handshake, path } = found;
    const pathAndQuery = withQuery(path, {
      EIO: String(handshake.version),
      transport: 'websocket',
      sid: handshake.sid,
    });
    const shown = withQuery(path, {
      EIO: String(handshake.version),
      transport: 'websocket',
      sid: 'SID',
    }).replace('SID', '<sid>');
    const request = `WebSocket ${shown}, "2probe"`;
    if (!handshake.upgrades.includes('websocket')) {
      this.skip(
        'upgrade',
        request,
        `not offered: the handshake lists upgrades ${JSON.stringify(handshake.upgrades)}`,
      );
      await this.closeSession(found);
      return false;
    }
    const started = performance.now();
    let probed = false;
    const outcome = await askUpgrade({
      url: this.url(pathAndQuery),
      timeoutMs: this.timeoutMs,
      greeting: '2probe',
      converse: (frame, send) => {
        if (frame !== '3probe') return false;
        probed = true;
        send('5');
        // Closing right after the upgrade packet ends the session on the server like a client leaving.
        return true;
      },
    });
    if (probed) this.record('upgrade', request, 'pass', '"3probe", upgraded with "5"', started);
    else if (!outcome.ok)
      this.record('upgrade', request, 'fail', describeError(outcome.error), started, outcome.error);
    else if (outcome.value.kind === 'refused')
      this.record('upgrade', request, 'fail', describeHttp(outcome.value.answer), started);
    else
      this.record(
        'upgrade',
        request,
        'fail',
        `101, but no "3probe" (frames: ${shorten(outcome.value.frames.join(' '), 100) || 'none'})`,
        started,
      );
    if (!probed) await this.closeSession(found);
    return probed;
  }

  /** Ends a polling session the probe opened, as a leaving client would (a `1` close packet). */
  async closeSession(found: PollingFinding): Promise<void> {
    const { handshake, path } = found;
    const body = handshake.version === 3 ? '1:1' : '1';
    await askHttp({ url: this.url(withQuery(path, sessionQuery(found))), method: 'POST', body, timeoutMs: this.timeoutMs });
  }

  /** 9–10. Would a page from `origin` be let in? */
  async originChecks(
    origin: string,
    socketio: { path: string; version: 3 | 4; websocket: boolean } | undefined,
  ): Promise<OriginFinding> {
    const headers = { origin };
    let polling: OriginFinding['polling'] = 'not-tried';
    let allowOrigin: string | undefined;
    let refusal: string | undefined;
    if (socketio) {
      const eio = socketio.version;
      const query = pollingQuery(eio, this.options.auth);
      const outcome = await this.get(
        'origin-polling',
        withQuery(socketio.path, query),
        (a) => {
          const allow = a.headers['access-control-allow-origin'];
          return a.status === 200 && (allow === origin || allow === '*') ? 'pass' : 'fail';
        },
        headers,
      );
      if (outcome.ok) {
        const allow = outcome.value.headers['access-control-allow-origin'];
        if (typeof allow === 'string') allowOrigin = allow;
        const contents = outcome.value.status === 200 ? readPolling(outcome.value.body) : undefined;
        if (!contents?.handshake) {
          polling = 'refused';
          refusal = shorten(`${outcome.value.status} ${outcome.value.body}`, 300);
        } else {
          polling = allowOrigin === origin || allowOrigin === '*' ? 'allowed' : 'no-cors-header';
          await this.closeSession({ path: socketio.path, handshake: contents.handshake, messages: [] });
        }
      }
    } else {
      this.skip('origin-polling', `GET … (Origin: ${origin})`, 'no Engine.IO handshake to repeat');
    }
    const wsPath = socketio
      ? withQuery(socketio.path, { EIO: String(socketio.version), transport: 'websocket' })
      : this.target.path;
    const request = `WebSocket upgrade ${wsPath} (Origin: ${origin})`;
    if (socketio && !socketio.websocket) {
      // A refusal there would say nothing about the origin: the server has no WebSocket transport.
      this.skip('origin-websocket', request, 'the server has no WebSocket transport');
      return {
        origin,
        polling,
        ...(allowOrigin !== undefined ? { allowOrigin } : {}),
        websocket: 'not-tried',
        ...(refusal !== undefined ? { refusal } : {}),
      };
    }
    const started = performance.now();
    const outcome = await askUpgrade({
      url: this.url(wsPath),
      headers,
      timeoutMs: this.timeoutMs,
      // Only the 101 matters here: no frame is waited for.
      settleMs: 0,
    });
    let websocket: OriginFinding['websocket'] = 'refused';
    if (!outcome.ok)
      this.record('origin-websocket', request, 'fail', describeError(outcome.error), started, outcome.error);
    else if (outcome.value.kind === 'refused') {
      this.record('origin-websocket', request, 'fail', describeHttp(outcome.value.answer), started);
      refusal ??= shorten(`${outcome.value.answer.status} ${outcome.value.answer.body}`, 300);
    } else {
      websocket = 'accepted';
      this.record('origin-websocket', request, 'pass', '101 Switching Protocols', started);
    }
    return {
      origin,
      polling,
      ...(allowOrigin !== undefined ? { allowOrigin } : {}),
      websocket,
      ...(refusal !== undefined ? { refusal } : {}),
    };
  }
}

/** parley's plain-WebSocket greeting: `{"event":"connect","data":{"id":…}}`. */
function isPlainConnectFrame(frame: string): boolean {
  try {
    const value: unknown = JSON.parse(frame);
    return value !== null && typeof value === 'object' && (value as { event?: unknown }).event === 'connect';
  } catch {
    return false;
  }
}

/**
 * Probes `url` and reports what it speaks, why a client fails, and how to connect. Never throws:
 * an unusable URL or an unreachable host is a verdict too.
 */
export async function probe(url: string, options: ProbeOptions = {}): Promise<ProbeReport> {
  const started = performance.now();
  const namespace = options.namespace ?? '/';
  const target = parseTarget(url);
  if ('code' in target) {
    const verdict: Verdict = { kind: 'unreachable', error: target };
    return assemble(url, { origin: '', path: '' }, namespace, verdict, [], undefined, options, started);
  }
  const run = new Probe(target, options);

  const reached = await run.reachability();
  if (!reached.ok && UNREACHABLE.has(reached.error.code)) {
    return assemble(
      url,
      target,
      namespace,
      { kind: 'unreachable', error: reached.error },
      run.evidence,
      undefined,
      options,
      started,
    );
  }

  const plain = await run.plainWebSocket();

  // The given path, then the same without (or with) its trailing slash: clients differ in whether
  // they add it, servers in whether they match without it.
  const given = target.path;
  const asGiven = await run.pollingHandshake('eio4-polling', given, 4);
  const toggled = toggleSlash(given);
  const slashed =
    toggled === given ? undefined : await run.pollingHandshake('eio4-polling-slash', toggled, 4);
  if (toggled === given)
    run.skip('eio4-polling-slash', `GET ${given}?EIO=4&transport=polling`, 'the path is "/"');
  const defaultFound =
    given === DEFAULT_PATH || toggled === DEFAULT_PATH
      ? undefined
      : await run.pollingHandshake('default-path', DEFAULT_PATH, 4);
  if (given === DEFAULT_PATH || toggled === DEFAULT_PATH)
    run.skip('default-path', `GET ${DEFAULT_PATH}?EIO=4&transport=polling`, 'the given path is the default');
  const v4 = asGiven ?? slashed ?? defaultFound;
  const enginePath = v4?.path ?? given;
  const v3 = await run.pollingHandshake('eio3-polling', enginePath, 3);

  // The version the server speaks: whatever format its answers came in. A v4 server that also
  // answers EIO=3 (socket.io's allowEIO3) speaks v4 to current clients.
  const polling = v4 && v4.handshake.version === 4 ? v4 : (v3 ?? v4);
  const version: 3 | 4 = polling?.handshake.version ?? 4;
  const socketPath = polling?.path ?? enginePath;
  const wsOpen = await run.engineWebSocket(socketPath, version);

  // The sessions the other handshakes opened are closed, as a leaving client would, not left to time out.
  for (const extra of [asGiven, slashed, defaultFound, v3]) {
    if (extra && extra !== polling) await run.closeSession(extra);
  }

  let verdict: Verdict;
  let originCheck: OriginFinding | undefined;
  if (polling || wsOpen) {
    const transports: TransportName[] = [];
    if (polling) transports.push('polling');
    if (wsOpen) transports.push('websocket');
    let connect: ConnectFinding;
    let upgraded = false;
    if (polling) {
      connect = await run.connectOverPolling(polling);
      upgraded = await run.upgrade(polling);
    } else {
      connect = await run.connectOverWebSocket(socketPath, version);
      run.skip(
        'upgrade',
        `WebSocket ${socketPath}?EIO=${version}&transport=websocket&sid=<sid>`,
        'no polling session to upgrade',
      );
    }
    if (options.origin)
      originCheck = await run.originChecks(options.origin, {
        path: socketPath,
        version,
        websocket: wsOpen !== undefined,
      });
    verdict = {
      kind: 'socketio',
      engineIO: version,
      path: socketPath,
      ...(socketPath !== given ? { givenPath: given } : {}),
      transports,
      upgrade: upgraded,
      plainWebSocket: plain,
      connect,
    };
  } else {
    run.skip('socketio-connect', `CONNECT ${namespace}`, 'no Engine.IO session');
    run.skip('upgrade', 'WebSocket …&sid=<sid>', 'no polling session to upgrade');
    if (options.origin) originCheck = await run.originChecks(options.origin, undefined);
    if (plain.kind === 'accepted' || plain.kind === 'parley') {
      verdict = {
        kind: 'websocket',
        path: given,
        ...(plain.kind === 'accepted' && plain.firstFrame ? { firstFrame: plain.firstFrame } : {}),
      };
    } else {
      verdict = { kind: 'http-only', path: given, status: reached.ok ? reached.value.status : 0 };
    }
  }
  return assemble(url, target, namespace, verdict, run.evidence, originCheck, options, started);
}

function assemble(
  url: string,
  target: ProbeTarget,
  namespace: string,
  verdict: Verdict,
  evidence: readonly CheckResult[],
  originCheck: OriginFinding | undefined,
  options: ProbeOptions,
  started: number,
): ProbeReport {
  const speaks = speaksOf(verdict);
  const gateway = gatewayCommand(target.origin, verdict);
  return {
    url,
    origin: target.origin,
    path: target.path,
    namespace,
    verdict,
    summary: describeVerdict(target, verdict, evidence, originCheck),
    speaks,
    evidence,
    ...(originCheck ? { originCheck } : {}),
    snippets: snippetsFor(target.origin, verdict, namespace, options.auth),
    ...(gateway ? { gateway } : {}),
    ...(options.expect ? { expect: options.expect } : {}),
    exitCode: exitCodeOf(verdict, speaks, options.expect),
    elapsedMs: Math.round(performance.now() - started),
  };
}
