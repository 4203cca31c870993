/**
 * fanout: `clients` websocket clients in room `bench`; `senders` of them take turns emitting
 * `broadcast` with a ~100-byte JSON payload carrying a sequence number and the send time. The next
 * broadcast goes out only while fewer than `window` broadcasts are not yet delivered to every client,
 * so the rate is as fast as delivery keeps up. Every delivery is counted and timed.
 * The clients speak Socket.IO (`42["broadcast",{...}]`) or, against parley-plain, the plain protocol
 * (`{"event":"broadcast","data":{...}}`); the payload object is the same in both.
 */
import { cpuSeconds } from '../proc.js';
import type { ClientProtocol } from '../registry.js';
import { LatencyHistogram } from '../stats.js';
import { after, connectMany, describeErrors, type LoadFn, param, waitUntil } from './common.js';

/** How each protocol frames the `broadcast` event around the payload (`{"s":...}`), both ways. */
const FRAMING: Record<ClientProtocol, { head: string; tail: string }> = {
  'socket.io': { head: '42["broadcast",', tail: ']' },
  plain: { head: '{"event":"broadcast","data":', tail: '}' },
};
const RING = 1 << 14;
const DRAIN_TIMEOUT_MS = 10_000;

export const fanout: LoadFn = async (ctx) => {
  const nClients = param(ctx, 'clients');
  const nSenders = Math.min(param(ctx, 'senders'), nClients);
  const window = Math.min(param(ctx, 'window'), RING / 2);
  const warmupMs = param(ctx, 'warmupMs');
  const durationMs = param(ctx, 'durationMs');
  const notes: string[] = [];
  const { head, tail } = FRAMING[ctx.clientProtocol];
  const prefix = `${head}{"s":`;

  const pending = new Uint32Array(RING); // deliveries seen per in-flight sequence number
  const hist = new LatencyHistogram();
  let sent = 0;
  let completed = 0;
  let received = 0;
  let foreign = 0;
  let timedFrom = Number.POSITIVE_INFINITY; // first sequence number whose latency is recorded
  let sending = false;
  let disconnects = 0;
  let senders: { send(text: string): void }[] = [];
  const pad = 'x'.repeat(68); // the payload JSON comes to ~100 bytes

  const pump = (): void => {
    while (sending && sent - completed < window) {
      const t = Math.round(performance.now() * 1000) / 1000;
      senders[sent % senders.length]!.send(`${head}{"s":${sent},"t":${t},"p":"${pad}"}${tail}`);
      sent++;
    }
  };

  const onPacket = (text: string): void => {
    if (!text.startsWith(prefix)) {
      foreign++;
      return;
    }
    const sEnd = text.indexOf(',', prefix.length);
    const seq = Number(text.slice(prefix.length, sEnd));
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

  const conn = await connectMany(ctx, nClients, 100, 60_000, (client) => {
    client.onPacket = onPacket;
    client.onClose = () => {
      if (client.sid !== '') disconnects++;
    };
  });
  if (conn.failed > 0) notes.push(`connect failures: ${describeErrors(conn.errors).join('; ')}`);
  if (conn.clients.length < nClients)
    throw new Error(`only ${conn.clients.length}/${nClients} clients connected`);
  senders = conn.clients.slice(0, nSenders);
  ctx.log(`fanout: ${nClients} clients connected in ${Math.round(conn.elapsedMs)} ms`);
  await after(300, undefined);

  // Warm-up, then drain.
  sending = true;
  pump();
  await after(warmupMs, undefined);
  sending = false;
  if (!(await waitUntil(() => completed === sent, DRAIN_TIMEOUT_MS))) notes.push('warm-up did not drain');

  // Measured phase: from the first send until the last delivery.
  const received0 = received;
  const cpu0 = cpuSeconds(ctx.pid, ctx.clkTck);
  const t0 = performance.now();
  timedFrom = sent;
  sending = true;
  pump();
  await after(durationMs, undefined);
  sending = false;
  const drained = await waitUntil(() => completed === sent, DRAIN_TIMEOUT_MS, 1);
  const t1 = performance.now();
  const cpu1 = cpuSeconds(ctx.pid, ctx.clkTck);
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
