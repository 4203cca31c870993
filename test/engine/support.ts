/**
 * Fixtures for the engine tests: an EngineServer (no Socket.IO) on 127.0.0.1:0 that records its
 * sessions, registered with test/support/servers.ts's `assertNoSessions`, and the engine's request
 * shapes on the shared raw clients.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after } from 'node:test';
import type { EngineOptions } from '../../src/engine/options.js';
import { EngineServer } from '../../src/engine/server.js';
import type { EngineCloseReason, EngineSession, SessionHandler } from '../../src/engine/types.js';
import { type HttpAnswer, type OpenPayload, RawPolling, WsClient } from '../support/raw-clients.js';
import { closeHttp, listenOnLoopback } from '../support/loopback.js';
import { sessionWatch } from '../support/sessions.js';
import { Changes, deferred } from '../support/waiting.js';


/** What the recording handler saw of one session. */
export interface SessionRecord {
  readonly session: EngineSession;
  readonly messages: (string | Buffer)[];
  readonly closed: Promise<{ reason: EngineCloseReason; cause?: Error }>;
  closeCount: number;
  /** Resolves once `n` messages have arrived. */
  waitMessages(n: number, timeoutMs?: number): Promise<(string | Buffer)[]>;
}

/** A running engine with the sessions it opened. */
export interface Fixture {
  readonly engine: EngineServer;
  readonly http: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>/engine.io/` */
  readonly base: string;
  readonly records: SessionRecord[];
  /** Resolves with the record of the next session to open (or of session `sid`). */
  session(sid?: string): Promise<SessionRecord>;
  close(): Promise<void>;
}

/** What each new session does besides recording: e.g. echo. */
export type OnSession = (
  session: EngineSession,
  record: SessionRecord,
) => Partial<SessionHandler> | undefined;

/** Starts an engine on port 0 with short heartbeats unless told otherwise. */
export async function startEngine(
  options: Partial<EngineOptions> = {},
  onSession?: OnSession,
): Promise<Fixture> {
  const records: SessionRecord[] = [];
  const opened = new Changes();
  const waiters: ((r: SessionRecord) => void)[] = [];
  const engine = new EngineServer(
    {
      onSession(session) {
        const messages: (string | Buffer)[] = [];
        const closed = deferred<{ reason: EngineCloseReason; cause?: Error }>();
        const arrivals = new Changes();
        const record: SessionRecord = {
          session,
          messages,
          closed: closed.promise,
          closeCount: 0,
          async waitMessages(n, timeoutMs = 3000) {
            await arrivals.until(() => messages.length >= n, `${n} messages`, timeoutMs);
            return messages.slice(0, n);
          },
        };
        const extra = onSession?.(session, record);
        records.push(record);
        sessionWatch(engine).ends.push(record.closed);
        for (const w of waiters.splice(0)) w(record);
        opened.changed();
        return {
          onMessage(data) {
            messages.push(data);
            arrivals.changed();
            extra?.onMessage?.(data);
          },
          onClose(reason, cause) {
            record.closeCount++;
            closed.resolve(cause === undefined ? { reason } : { reason, cause });
            extra?.onClose?.(reason, cause);
          },
        };
      },
    },
    { pingInterval: 300, pingTimeout: 200, ...options },
  );
  sessionWatch(engine).checks.push(() => {
    for (const r of records) assert.ok(r.closeCount <= 1, 'onClose called at most once');
  });
  const http = createServer();
  engine.attach(http);
  const port = await listenOnLoopback(http);
  return {
    engine,
    http,
    port,
    base: `http://127.0.0.1:${port}${engine.options.path}`,
    records,
    async session(sid) {
      if (sid !== undefined) {
        await opened.until(() => records.some((r) => r.session.id === sid), `session ${sid} is open`, 3000);
        return records.find((r) => r.session.id === sid)!;
      }
      const next = deferred<SessionRecord>();
      waiters.push(next.resolve);
      return next.promise;
    },
    async close() {
      await engine.close();
      await closeHttp(http);
    },
  };
}

/**
 * For one describe block: a `startEngine` whose engines are all closed after the block. Call it in
 * the describe body (it registers the `after` hook there).
 */
export function engineStarter(): (...args: Parameters<typeof startEngine>) => Promise<Fixture> {
  const fixtures: Fixture[] = [];
  after(async () => {
    for (const f of fixtures) await f.close();
  });
  return async (...args) => {
    const f = await startEngine(...args);
    fixtures.push(f);
    return f;
  };
}

/** Query string for a request of session `sid` (or a handshake). */
export function q(transport: 'polling' | 'websocket', sid?: string): string {
  return `?EIO=4&transport=${transport}${sid === undefined ? '' : `&sid=${encodeURIComponent(sid)}`}`;
}

/** Opens a polling session; returns the open payload and the raw answer. */
export async function pollingHandshake(fixture: Fixture): Promise<{ open: OpenPayload; answer: HttpAnswer }> {
  const { open, answer } = await RawPolling.handshake(fixture.base);
  return { open, answer };
}

/** One long-polling GET of session `sid`. */
export function poll(fixture: Fixture, sid: string): Promise<HttpAnswer> {
  return new RawPolling(fixture.base, sid).get();
}

/** One long-polling POST of session `sid`. */
export function post(fixture: Fixture, sid: string, body: string | Buffer): Promise<HttpAnswer> {
  return new RawPolling(fixture.base, sid).post(body);
}

/** `ws://127.0.0.1:<port>/engine.io/?...` */
export function wsUrl(fixture: Fixture, query: string): string {
  return `ws://127.0.0.1:${fixture.port}${fixture.engine.options.path}${query}`;
}

/** Opens a websocket-only session and reads its open packet. */
export function wsHandshake(fixture: Fixture): Promise<{ client: WsClient; open: OpenPayload }> {
  return WsClient.handshake(wsUrl(fixture, q('websocket')));
}

