/** What the load scenarios share: their context and result, and bounded bulk connects. */

import { WsClient, type WsClientOptions } from '../client/ws-client.js';
import { rssBytes } from '../proc.js';
import type { ClientProtocol, Params } from '../registry.js';

export interface LoadContext {
  port: number;
  /** The serving process, for /proc sampling and the SIGUSR2 GC hook. */
  pid: number;
  clkTck: number;
  params: Params;
  /** What the websocket clients speak: `connectMany` opens clients of this protocol. */
  clientProtocol: ClientProtocol;
  /** Every serving process: one for most servers, each node of a multi-node one (cluster-fanout). */
  nodes: readonly { port: number; pid: number }[];
  /** Numbers a server announces besides its port and nodes (no-sticky: proxy ports, a pid). */
  extra: Readonly<Record<string, number>>;
  log: (msg: string) => void;
}

export interface LoadResult {
  metrics: Record<string, number>;
  /** Messages (or connections) that should have arrived... */
  expected: number;
  /** ...and those that did; lost = expected - received. */
  received: number;
  notes: string[];
}

export type LoadFn = (ctx: LoadContext) => Promise<LoadResult>;

export function param(ctx: LoadContext, name: string): number {
  const v = ctx.params[name];
  if (v === undefined || !Number.isFinite(v)) throw new Error(`missing parameter ${name}`);
  return v;
}

/** Resolves with `value` after `ms`. */
export function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

/** Waits until `done()` holds, checking every `everyMs`, for at most `timeoutMs`; returns done(). */
export async function waitUntil(done: () => boolean, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!done() && Date.now() < end) await after(everyMs, undefined);
  return done();
}

export interface ConnectOutcome {
  clients: WsClient[];
  failed: number;
  errors: Map<string, number>;
  elapsedMs: number;
}

/** Where and how the clients of `connectMany` connect (default: /socket.io/, no auth). */
export interface ConnectOptions {
  path?: string;
  auth?: (index: number) => Record<string, unknown>;
  /** The local address client `index` connects from (default: the system's choice, 127.0.0.1). */
  localAddress?: (index: number) => string;
}

/**
 * Opens `count` websocket clients (speaking `ctx.clientProtocol`), `inFlight` handshakes at a time, for at most `timeoutMs`.
 * `setup` runs on each client before its handshake (to install packet handlers).
 */
export async function connectMany(
  ctx: LoadContext,
  count: number,
  inFlight: number,
  timeoutMs: number,
  setup?: (client: WsClient, index: number) => void,
  options: ConnectOptions = {},
): Promise<ConnectOutcome> {
  const clients: WsClient[] = [];
  const errors = new Map<string, number>();
  let next = 0;
  let failed = 0;
  const start = performance.now();
  const deadline = start + timeoutMs;
  const worker = async (): Promise<void> => {
    while (next < count && performance.now() < deadline) {
      const index = next++;
      const clientOptions: WsClientOptions = { port: ctx.port, plain: ctx.clientProtocol === 'plain' };
      if (options.path !== undefined) clientOptions.path = options.path;
      if (options.auth !== undefined) clientOptions.auth = options.auth(index);
      if (options.localAddress !== undefined) clientOptions.localAddress = options.localAddress(index);
      const client = new WsClient(clientOptions);
      setup?.(client, index);
      const left = Math.max(1, deadline - performance.now());
      const ok = await Promise.race<true | string>([
        client.connected.then(
          () => true as const,
          (err: Error) => err.message,
        ),
        after(left, 'timed out'),
      ]);
      if (ok === true) {
        clients.push(client);
      } else {
        failed++;
        errors.set(ok, (errors.get(ok) ?? 0) + 1);
        client.destroy();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  failed += count - next; // never started: out of time
  return { clients, failed, errors, elapsedMs: performance.now() - start };
}

/** How long the server is given to finish its full GC (SIGUSR2) before RSS is read. */
const GC_WAIT_MS = 800;

/** The server's RSS after a full GC (the bench servers run one on SIGUSR2). */
export async function rssAfterGc(ctx: LoadContext): Promise<number> {
  process.kill(ctx.pid, 'SIGUSR2');
  await after(GC_WAIT_MS, undefined);
  return rssBytes(ctx.pid);
}

export function describeErrors(errors: Map<string, number>): string[] {
  return [...errors].map(([msg, n]) => `${n}x ${msg}`);
}
