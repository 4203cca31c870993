/**
 * cluster-fanout: the fanout scenario across the nodes of one Redis. `clients` Socket.IO websocket
 * clients are spread over the nodes (client i on node i mod n), all in room `bench`; `senders` of
 * them, spread the same way, take turns emitting `broadcast` with a ~100-byte JSON payload (a
 * sequence number and the send time), so every node publishes broadcasts to Redis and delivers
 * the others'. The next broadcast goes out only while fewer than `window` are not yet delivered to
 * every client of every node. CPU is utime+stime summed over the node processes (redis-server,
 * the same for both servers, is not counted).
 */
import { cpuSeconds } from '../proc.js';
import { LatencyHistogram } from '../stats.js';
import type { WsClient } from '../client/ws-client.js';
import { after, connectMany, describeErrors, type LoadFn, param, waitUntil } from './common.js';

const PREFIX = '42["broadcast",{"s":';
const RING = 1 << 14;
const DRAIN_TIMEOUT_MS = 10_000;

export const clusterFanout: LoadFn = async (ctx) => {
  const nClients = param(ctx, 'clients');
  const nSenders = Math.min(param(ctx, 'senders'), nClients);
  const window = Math.min(param(ctx, 'window'), RING / 2);
  const warmupMs = param(ctx, 'warmupMs');
  const durationMs = param(ctx, 'durationMs');
  const nodes = ctx.nodes;
  const notes: string[] = [];
  const cpu = (): number => nodes.reduce((sum, node) => sum + cpuSeconds(node.pid, ctx.clkTck), 0);

  const pending = new Uint32Array(RING); // deliveries seen per in-flight sequence number
  const hist = new LatencyHistogram();
  let sent = 0;
  let completed = 0;
  let received = 0;
  let foreign = 0;
  let timedFrom = Number.POSITIVE_INFINITY;
  let sending = false;
  let disconnects = 0;
  let senders: WsClient[] = [];
  const pad = 'x'.repeat(68);

  const pump = (): void => {
    while (sending && sent - completed < window) {
      const t = Math.round(performance.now() * 1000) / 1000;
      senders[sent % senders.length]!.send(`${PREFIX}${sent},"t":${t},"p":"${pad}"}]`);
      sent++;
    }
  };

  const onPacket = (text: string): void => {
    if (!text.startsWith(PREFIX)) {
      foreign++;
      return;
    }
    const sEnd = text.indexOf(',', PREFIX.length);
    const seq = Number(text.slice(PREFIX.length, sEnd));
    received++;
    if (seq >= timedFrom) {
      const tEnd = text.indexOf(',', sEnd + 5);
      hist.addMs(performance.now() - Number(text.slice(sEnd + 5, tEnd)));
    }
    const slot = seq & (RING - 1);
    if (++pending[slot]! === nClients) {
      pending[slot] = 0;
      completed++;
      pump();
    }
  };

  // Each node's clients, connected node by node.
  const perNode: WsClient[][] = [];
  for (let k = 0; k < nodes.length; k++) {
    const count = Math.floor(nClients / nodes.length) + (k < nClients % nodes.length ? 1 : 0);
    const conn = await connectMany({ ...ctx, port: nodes[k]!.port }, count, 100, 60_000, (client) => {
      client.onPacket = onPacket;
      client.onClose = () => {
        if (client.sid !== '') disconnects++;
      };
    });
    if (conn.failed > 0) notes.push(`node ${k + 1}: connect failures: ${describeErrors(conn.errors).join('; ')}`);
    if (conn.clients.length < count) throw new Error(`node ${k + 1}: only ${conn.clients.length}/${count} clients connected`);
    perNode.push(conn.clients);
  }
  // Sender i on node i mod n: every node publishes.
  senders = Array.from({ length: nSenders }, (_, i) => perNode[i % nodes.length]![Math.floor(i / nodes.length)]!);
  ctx.log(`cluster-fanout: ${nClients} clients on ${nodes.length} nodes`);
  await after(300, undefined);

  sending = true;
  pump();
  await after(warmupMs, undefined);
  sending = false;
  if (!(await waitUntil(() => completed === sent, DRAIN_TIMEOUT_MS))) notes.push('warm-up did not drain');

  const received0 = received;
  const cpu0 = cpu();
  const t0 = performance.now();
  timedFrom = sent;
  sending = true;
  pump();
  await after(durationMs, undefined);
  sending = false;
  const drained = await waitUntil(() => completed === sent, DRAIN_TIMEOUT_MS, 1);
  const t1 = performance.now();
  const cpu1 = cpu();
  if (!drained) notes.push(`did not drain: ${sent - completed} broadcasts incomplete`);
  if (disconnects > 0) notes.push(`${disconnects} clients disconnected`);
  if (foreign > 0) notes.push(`${foreign} unexpected packets`);

  const deliveries = received - received0;
  return {
    metrics: {
      deliveriesPerSec: deliveries / ((t1 - t0) / 1000),
      p50Ms: hist.quantileMs(0.5),
      p99Ms: hist.quantileMs(0.99),
      cpuSecPerMDeliveries: ((cpu1 - cpu0) / deliveries) * 1e6,
      broadcasts: sent - timedFrom,
    },
    expected: sent * nClients,
    received,
    notes,
  };
};
