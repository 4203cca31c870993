/**
 * The checks on an Engine.IO session the probe opened: a Socket.IO CONNECT over polling or over an
 * Engine.IO WebSocket, the upgrade from polling, and closing the session as a leaving client would.
 */

import {
  describeError,
  describeHttp,
  type PollingFinding,
  type Recorder,
  sessionQuery,
  shorten,
  withQuery,
} from './recorder.js';
import { askHttp, askUpgrade } from './transport.js';
import type { CheckStatus, ConnectFinding } from './types.js';
import { authQuery, connectMessage, pollingBody, readConnectAnswer, readPolling } from './wire.js';

/** 7a. A Socket.IO CONNECT over an open polling session: POST it, then GET until answered. */
export async function connectOverPolling(probe: Recorder, found: PollingFinding): Promise<ConnectFinding> {
  const { handshake, path } = found;
  const pathAndQuery = withQuery(path, sessionQuery(found));
  const started = performance.now();
  const deadline = started + probe.timeoutMs;
  const nsp = probe.namespace;
  const message = connectMessage(nsp, probe.options.auth, handshake.version);
  const authSent = probe.options.auth !== undefined;
  const request = `POST ${withQuery(path, { EIO: String(handshake.version), transport: 'polling', sid: 'SID' }).replace('SID', '<sid>')} "4${message}", then GET`;
  const finish = (finding: ConnectFinding, status: CheckStatus, answer: string) => {
    probe.record('socketio-connect', request, status, answer, started);
    return finding;
  };
  // A v2-era server connects '/' on its own, right after the handshake.
  const pending = [...found.messages];
  const v3Default = handshake.version === 3 && nsp === '/';
  if (!v3Default) {
    const posted = await askHttp({
      url: probe.url(pathAndQuery),
      method: 'POST',
      body: pollingBody([message], handshake.version),
      timeoutMs: probe.timeoutMs,
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
      const detail = `no CONNECT answer within ${probe.timeoutMs} ms${seen.length ? ` (got ${shorten(seen.join(' '), 120)})` : ''}`;
      return finish({ kind: 'no-answer', namespace: nsp, detail }, 'fail', detail);
    }
    const polled = await askHttp({ url: probe.url(pathAndQuery), timeoutMs: Math.max(1, Math.round(left)) });
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
export async function connectOverWebSocket(
  probe: Recorder,
  path: string,
  version: 3 | 4,
): Promise<ConnectFinding> {
  const nsp = probe.namespace;
  const message = connectMessage(nsp, probe.options.auth, version);
  const pathAndQuery = withQuery(path, {
    EIO: String(version),
    transport: 'websocket',
    ...(version === 3 ? authQuery(probe.options.auth) : {}),
  });
  const started = performance.now();
  const request = `WebSocket ${pathAndQuery}, then "4${message}"`;
  let finding: ConnectFinding | undefined;
  const outcome = await askUpgrade({
    url: probe.url(pathAndQuery),
    timeoutMs: probe.timeoutMs,
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
          authSent: probe.options.auth !== undefined,
        };
      }
      return finding !== undefined;
    },
  });
  const frames = outcome.ok && outcome.value.kind === 'open' ? outcome.value.frames : [];
  const last = frames.at(-1);
  if (finding) {
    probe.record(
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
  probe.record('socketio-connect', request, 'fail', detail, started);
  return { kind: 'no-answer', namespace: nsp, detail };
}

/** 8. The upgrade of a polling session: `2probe` → `3probe`, then `5`. */
export async function upgrade(probe: Recorder, found: PollingFinding): Promise<boolean> {
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
    probe.skip(
      'upgrade',
      request,
      `not offered: the handshake lists upgrades ${JSON.stringify(handshake.upgrades)}`,
    );
    await closeSession(probe, found);
    return false;
  }
  const started = performance.now();
  let probed = false;
  const outcome = await askUpgrade({
    url: probe.url(pathAndQuery),
    timeoutMs: probe.timeoutMs,
    greeting: '2probe',
    converse: (frame, send) => {
      if (frame !== '3probe') return false;
      probed = true;
      send('5');
      // Closing right after the upgrade packet ends the session on the server like a client leaving.
      return true;
    },
  });
  if (probed) probe.record('upgrade', request, 'pass', '"3probe", upgraded with "5"', started);
  else if (!outcome.ok)
    probe.record('upgrade', request, 'fail', describeError(outcome.error), started, outcome.error);
  else if (outcome.value.kind === 'refused')
    probe.record('upgrade', request, 'fail', describeHttp(outcome.value.answer), started);
  else
    probe.record(
      'upgrade',
      request,
      'fail',
      `101, but no "3probe" (frames: ${shorten(outcome.value.frames.join(' '), 100) || 'none'})`,
      started,
    );
  if (!probed) await closeSession(probe, found);
  return probed;
}

/** Ends a polling session the probe opened, as a leaving client would (a `1` close packet). */
export async function closeSession(probe: Recorder, found: PollingFinding): Promise<void> {
  const { handshake, path } = found;
  const body = handshake.version === 3 ? '1:1' : '1';
  await askHttp({
    url: probe.url(withQuery(path, sessionQuery(found))),
    method: 'POST',
    body,
    timeoutMs: probe.timeoutMs,
  });
}
