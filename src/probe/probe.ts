/**
 * `probe(url)`: asks an endpoint, one bounded request at a time, what it speaks: HTTP, a plain
 * WebSocket upgrade, Engine.IO v4 and v3 polling handshakes (with and without the trailing slash,
 * and at the default /socket.io/), the Engine.IO WebSocket transport and the upgrade from polling,
 * a Socket.IO CONNECT, and Origin acceptance. Each answer becomes a {@link CheckResult}; the
 * verdict, its plain words and the connect code are derived from them (verdict.ts, snippets.ts).
 */
import {
  describeError,
  describeHttp,
  type PollingFinding,
  type ProbeTarget,
  parseTarget,
  pollingQuery,
  Recorder,
  shorten,
  toggleSlash,
  withQuery,
} from './recorder.js';
import { closeSession, connectOverPolling, connectOverWebSocket, upgrade } from './session-checks.js';
import { gatewayCommand, snippetsFor } from './snippets.js';
import { askUpgrade, type HttpAnswer, type Outcome } from './transport.js';
import type {
  CheckId,
  CheckResult,
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
import { describeVerdict, exitCodeOf, speaksOf } from './verdict.js';
import { readOpenFrame, readPolling } from './wire.js';

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

/** The probe's own checks (the session checks are in session-checks.ts). */
class Probe extends Recorder {
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
          await closeSession(this, { path: socketio.path, handshake: contents.handshake, messages: [] });
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
    if (extra && extra !== polling) await closeSession(run, extra);
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
      connect = await connectOverPolling(run, polling);
      upgraded = await upgrade(run, polling);
    } else {
      connect = await connectOverWebSocket(run, socketPath, version);
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
