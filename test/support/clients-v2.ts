/**
 * socket.io-client 2.x (the npm alias `socket.io-client-v2`: Engine.IO v3, Socket.IO protocol v4),
 * as old browser pages and mobile apps still run it, for the `allowEIO3` tests. The package is
 * CommonJS without types: the little of it the tests use is typed here. `closeV2Clients()` closes
 * every v2 client a test opened; call it before the servers' `cleanup()`.
 */
import { createRequire } from 'node:module';
import { describe } from 'node:test';
import { waitForArgs } from './waiting.js';

/** The Engine.IO v3 socket under a v2 client (`client.io.engine`). */
export interface V2EngineSocket {
  readonly id: string;
  readonly readyState: string;
  readonly transport: { readonly name: string };
  pingTimeoutTimer: NodeJS.Timeout | undefined;
  pingIntervalTimer: NodeJS.Timeout | undefined;
  onHeartbeat: (timeout?: number) => void;
  setPing: () => void;
  on(event: string, listener: (...args: never[]) => void): this;
  once(event: string, listener: (...args: never[]) => void): this;
  off(event: string, listener: (...args: never[]) => void): this;
  removeListener(event: string, listener: (...args: never[]) => void): this;
}

/** A socket.io-client 2.x socket. */
export interface V2ClientSocket {
  /** `/nsp#<engine id>`, or the engine id for '/', made by the client itself on connect. */
  readonly id: string;
  readonly connected: boolean;
  readonly io: { readonly engine: V2EngineSocket };
  on(event: string, listener: (...args: never[]) => void): this;
  once(event: string, listener: (...args: never[]) => void): this;
  off(event: string, listener: (...args: never[]) => void): this;
  emit(event: string, ...args: unknown[]): this;
  open(): this;
  close(): this;
}

/** The options of a v2 client the tests use. */
export interface V2ConnectOptions {
  transports?: ('polling' | 'websocket')[];
  query?: Record<string, string>;
  forceNew?: boolean;
  reconnection?: boolean;
  autoConnect?: boolean;
  upgrade?: boolean;
}

type V2Lookup = (uri: string, opts: V2ConnectOptions) => V2ClientSocket;

const require = createRequire(import.meta.url);
const ioV2 = require('socket.io-client-v2') as V2Lookup;

/** A v2 client's transport setup. */
export interface V2TransportSetup {
  readonly name: 'polling' | 'websocket' | 'polling→websocket upgrade';
  readonly transports: ('polling' | 'websocket')[];
  readonly upgrades: boolean;
}

export const V2_TRANSPORT_SETUPS: readonly V2TransportSetup[] = [
  { name: 'polling', transports: ['polling'], upgrades: false },
  { name: 'websocket', transports: ['websocket'], upgrades: false },
  { name: 'polling→websocket upgrade', transports: ['polling', 'websocket'], upgrades: true },
];

/** Declares the cases registered by `body` once per v2 transport setup, in a `describe` named after it. */
export function forEachV2Transport(body: (setup: V2TransportSetup) => void): void {
  for (const setup of V2_TRANSPORT_SETUPS) describe(`[v2 ${setup.name}]`, () => body(setup));
}

const opened = new Set<V2ClientSocket>();

/**
 * A v2 client of `url` + `nsp` (with `?query` in the namespace when given), new connection, no
 * reconnection, not connected yet unless `autoConnect`.
 */
export function makeClientV2(
  url: string,
  opts: V2ConnectOptions & { setup?: V2TransportSetup; nsp?: string } = {},
): V2ClientSocket {
  const { setup = V2_TRANSPORT_SETUPS[0]!, nsp = '/', ...rest } = opts;
  const client = ioV2(`${url}${nsp === '/' ? '' : nsp}`, {
    transports: setup.transports,
    forceNew: true,
    reconnection: false,
    ...rest,
  });
  opened.add(client);
  return client;
}

/** Connects a v2 client; resolves once connected (and upgraded, for an upgrading setup), rejects on `error` or `connect_error`. */
export async function connectClientV2(
  url: string,
  opts: V2ConnectOptions & { setup?: V2TransportSetup; nsp?: string } = {},
): Promise<V2ClientSocket> {
  const client = makeClientV2(url, opts);
  // The upgrade may complete before the connect: it is seen from the start, but its guard runs
  // only once connected (a refused client never upgrades).
  let upgraded = false;
  client.io.engine.once('upgrade', () => {
    upgraded = true;
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('connect_error', (err: Error) => reject(err));
    client.once('error', (err: unknown) => reject(new Error(`refused: ${JSON.stringify(err)}`)));
  });
  if (opts.setup?.upgrades && !upgraded) await waitForArgs(client.io.engine, 'upgrade');
  return client;
}

/** Closes every v2 client opened since the last call. */
export function closeV2Clients(): void {
  for (const client of opened) client.close();
  opened.clear();
}

/** Stops a v2 client's heartbeat: it sends no ping and no longer times the server out itself. */
export function silenceV2Heartbeat(client: V2ClientSocket): void {
  const engine = client.io.engine;
  engine.removeListener('heartbeat', engine.onHeartbeat);
  engine.setPing = () => {};
  clearTimeout(engine.pingIntervalTimer);
  clearTimeout(engine.pingTimeoutTimer);
}
