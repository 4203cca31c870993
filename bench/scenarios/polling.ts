/**
 * polling: `clients` long-polling clients; each POSTs an `echo` event (no ack) and gets `echo`
 * back on its held GET, one message in flight per client. Every reply is checked and timed.
 */
import { PollingClient } from '../client/polling-client.js';
import { cpuSeconds } from '../proc.js';
import { LatencyHistogram } from '../stats.js';
import { after, type LoadFn, param, waitUntil } from './common.js';

export const polling: LoadFn = async (ctx) => {
  const nClients = param(ctx, 'clients');
  const warmupMs = param(ctx, 'warmupMs');
  const durationMs = param(ctx, 'durationMs');
  const notes: string[] = [];
  const hist = new LatencyHistogram();
  let running = false;
  let timing = false;
  let sent = 0;
  let received = 0;
  let outstanding = 0;
  let wrong = 0;
  let closed = 0;

  interface Peer {
    client: PollingClient;
    index: number;
    seq: number;
    sentAt: number;
  }
  const fire = (p: Peer): void => {
    p.seq++;
    p.sentAt = performance.now();
    sent++;
    outstanding++;
    p.client.send(`42["echo",${p.index},${p.seq}]`);
  };

  const peers: Peer[] = [];
  const errors = new Map<string, number>();
  let next = 0;
  const deadline = Date.now() + 60_000;
  const worker = async (): Promise<void> => {
    while (next < nClients && Date.now() < deadline) {
      const index = next++;
      const client = new PollingClient({ port: ctx.port });
      const peer: Peer = { client, index, seq: 0, sentAt: 0 };
      client.onPacket = (text) => {
        if (text !== `42["echo",${index},${peer.seq}]`) {
          wrong++;
          return;
        }
        received++;
        outstanding--;
        if (timing) hist.addMs(performance.now() - peer.sentAt);
        if (running) fire(peer);
      };
      client.onClose = (reason) => {
        if (reason !== 'client close') closed++;
      };
      try {
        await Promise.race([
          client.connect(),
          after(30_000, undefined).then(() => Promise.reject(new Error('timed out'))),
        ]);
        peers.push(peer);
      } catch (err) {
        const msg = (err as Error).message;
        errors.set(msg, (errors.get(msg) ?? 0) + 1);
        client.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(50, nClients) }, worker));
  if (peers.length < nClients) {
    throw new Error(`only ${peers.length}/${nClients} connected: ${[...errors.keys()].join('; ')}`);
  }
  ctx.log(`polling: ${nClients} clients connected`);
  await after(200, undefined);

  const phase = async (ms: number): Promise<boolean> => {
    running = true;
    for (const p of peers) fire(p);
    await after(ms, undefined);
    running = false;
    return waitUntil(() => outstanding === 0, 10_000, 2);
  };

  if (!(await phase(warmupMs))) notes.push('warm-up did not drain');
  const received0 = received;
  const cpu0 = cpuSeconds(ctx.pid, ctx.clkTck);
  const t0 = performance.now();
  timing = true;
  const drained = await phase(durationMs);
  const t1 = performance.now();
  const cpu1 = cpuSeconds(ctx.pid, ctx.clkTck);
  if (!drained) notes.push(`${outstanding} replies never came`);
  if (wrong > 0) notes.push(`${wrong} unexpected packets`);
  if (closed > 0) notes.push(`${closed} sessions closed by the server`);
  for (const p of peers) p.client.close();
  const messages = received - received0;
  return {
    metrics: {
      messagesPerSec: messages / ((t1 - t0) / 1000),
      p50Ms: hist.quantileMs(0.5),
      p99Ms: hist.quantileMs(0.99),
      cpuUsPerMessage: ((cpu1 - cpu0) / messages) * 1e6,
    },
    expected: sent,
    received,
    notes,
  };
};
