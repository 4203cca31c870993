/**
 * Gateways for tests: `startTestGateway(upstream)` runs the gateway in this process on 127.0.0.1
 * and a free port, in front of `upstream`, with short heartbeats; `closeGateways()` (afterEach,
 * before the servers' `cleanup()`) closes them all, so the upstream sees every bridged session end.
 * `plainClient(gateway, query)` opens a plain WebSocket client on it and awaits its connect frame.
 */
import assert from 'node:assert/strict';
import { type Gateway, type GatewayOptions, startGateway } from '../../src/gateway/index.js';
import { WsClient } from '../support/raw-clients.js';
import { withTimeout } from '../support/waiting.js';

const gateways = new Set<Gateway>();

export async function startTestGateway(
  upstream: string,
  options: Partial<Omit<GatewayOptions, 'upstream'>> = {},
): Promise<Gateway> {
  const gateway = await startGateway({
    upstream,
    port: 0,
    reconnectionDelayMs: 50,
    reconnectionDelayMaxMs: 200,
    connectTimeoutMs: 2000,
    ...options,
    server: { pingInterval: 200, pingTimeout: 200, ...options.server },
  });
  gateways.add(gateway);
  return gateway;
}

export async function closeGateways(): Promise<void> {
  const open = [...gateways];
  gateways.clear();
  await withTimeout(Promise.all(open.map((g) => g.close())), 'the gateways to close');
}

/** `ws://127.0.0.1:PORT<listenPath>?query` */
export function gatewayWsUrl(gateway: Gateway, query: Record<string, string> = {}): string {
  const search = new URLSearchParams(query).toString();
  return `ws://127.0.0.1:${gateway.port}${gateway.options.listenPath}${search ? `?${search}` : ''}`;
}

/** A plain client of the gateway, connected: its `connect` frame is taken. */
export async function plainClient(
  gateway: Gateway,
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<WsClient> {
  const client = new WsClient(gatewayWsUrl(gateway, query), { headers });
  const first = (await client.nextJson('the connect frame')) as { event: string };
  assert.equal(first.event, 'connect', JSON.stringify(first));
  return client;
}

/** The next frame of `event` (others before it stay queued). */
export async function nextEvent(client: WsClient, event: string, what = `a "${event}" frame`): Promise<Record<string, unknown>> {
  const frame = await client.take((f) => typeof f === 'string' && (JSON.parse(f) as { event?: unknown }).event === event, what);
  return JSON.parse(frame as string) as Record<string, unknown>;
}

/** The ack frame answering `id`. */
export async function nextAck(client: WsClient, id: number): Promise<Record<string, unknown>> {
  const frame = await client.take(
    (f) => typeof f === 'string' && (JSON.parse(f) as { ack?: unknown }).ack === id,
    `the ack of ${id}`,
  );
  return JSON.parse(frame as string) as Record<string, unknown>;
}
