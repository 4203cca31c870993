/**
 * gateway: `clients` plain WebSocket clients, each sending one `echo` event with an ack every
 * `periodMs` (a moderate, open-loop rate: `clients` / `periodMs` round trips per ms), first straight
 * to the parley bench server, then, as many clients again, through `parley gateway` in front of the
 * same server (bench/servers/gateway.ts, its own process, started here). Reported: both p50s and
 * their difference (the latency the gateway adds), the gateway's RSS per bridged client (after a
 * full GC, against its baseline after a warm-up) and its CPU per bridged message (each round trip
 * is two: the event up, the ack down).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WsClient } from '../client/ws-client.js';
import { cpuSeconds, rssBytes } from '../proc.js';
import { LatencyHistogram } from '../stats.js';
import { after, connectMany, describeErrors, type LoadContext, type LoadFn, param, waitUntil } from './common.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const START_TIMEOUT_MS = 20_000;

interface GatewayProcess {
  child: ChildProcess;
  port: number;
  pid: number;
  /** Runs a full GC in the gateway and resolves once it is done. */
  gc(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the gateway in front of `upstreamPort`, as bench/run.ts starts servers: startup line, pid. */
function startGatewayProcess(upstreamPort: number): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--expose-gc', 'build/bench/bench/servers/gateway.js'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', UPSTREAM_PORT: String(upstreamPort) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gcDone: (() => void) | undefined;
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the gateway did not start in ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code}) before listening`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-10_000);
      if (out.includes('bench-server gc done')) {
        out = '';
        gcDone?.();
        gcDone = undefined;
      }
      const m = /bench-server gateway listening on 127\.0\.0\.1:(\d+) pid (\d+)/.exec(out);
      if (!m) return;
      out = '';
      clearTimeout(timer);
      const pid = Number(m[2]);
      resolve({
        child,
        port: Number(m[1]),
        pid,
        gc: () =>
          new Promise<void>((done) => {
            gcDone = done;
            process.kill(pid, 'SIGUSR2');
          }),
        stop: async () => {
          child.kill('SIGTERM');
          await Promise.race([exited, after(3000, undefined)]);
          if (child.exitCode === null) child.kill('SIGKILL');
        },
      });
    });
  });
}

/** One measured run of `clients` plain clients at `port`: echo round trips at the scenario's rate. */
async function measure(
  ctx: LoadContext,
  port: number,
  label: string,
  onConnected: (clients: WsClient[]) => Promise<void>,
  cpuPid: number | undefined,
) {
  const nClients = param(ctx, 'clients');
  const periodMs = param(ctx, 'periodMs');
  const warmupMs = param(ctx, 'warmupMs');
  const durationMs = param(ctx, 'durationMs');
  const hist = new LatencyHistogram();
  let timing = false;
  let running = true;
  let sent = 0;
  let received = 0;
  let wrong = 0;
  const sentAt = new Float64Array(nClients);
  const ackIds = new Uint32Array(nClients);
  const plain: LoadContext = { ...ctx, port, clientProtocol: 'plain' };
  // By setup index: `conn.clients` is in the order the handshakes completed.
  const byIndex: WsClient[] = [];
  const conn = await connectMany(plain, nClients, 50, 60_000, (client, index) => {
    byIndex[index] = client;
    client.onPacket = (text) => {
      if (!text.startsWith('{"ack":')) return;
      if (text !== `{"ack":${ackIds[index]},"args":["hello",${index},${ackIds[index]}]}`) {
        wrong++;
        return;
      }
      received++;
      if (timing) hist.addMs(performance.now() - sentAt[index]!);
    };
  });
  if (conn.clients.length < nClients)
    throw new Error(`${label}: only ${conn.clients.length}/${nClients} connected: ${describeErrors(conn.errors).join('; ')}`);
  await onConnected(conn.clients);
  // Each client on its own timer, phases spread over the period: a steady rate, not bursts.
  const timers = byIndex.map((client, index) => {
    const fire = () => {
      if (!running) return;
      const id = ++ackIds[index]!;
      sentAt[index] = performance.now();
      sent++;
      client.send(`{"event":"echo","args":["hello",${index},${id}],"id":${id}}`);
    };
    let interval: NodeJS.Timeout | undefined;
    const start = setTimeout(() => {
      fire();
      interval = setInterval(fire, periodMs);
    }, (index / nClients) * periodMs);
    return () => {
      clearTimeout(start);
      clearInterval(interval);
    };
  });
  await after(warmupMs, undefined);
  const received0 = received;
  const cpu0 = cpuPid === undefined ? 0 : cpuSeconds(cpuPid, ctx.clkTck);
  timing = true;
  await after(durationMs, undefined);
  timing = false;
  const cpu1 = cpuPid === undefined ? 0 : cpuSeconds(cpuPid, ctx.clkTck);
  const trips = received - received0;
  running = false;
  for (const stop of timers) stop();
  const drained = await waitUntil(() => received === sent, 10_000, 2);
  ctx.log(`gateway: ${label}: ${trips} round trips measured, p50 ${hist.quantileMs(0.5).toFixed(3)} ms`);
  for (const client of conn.clients) client.close();
  return { hist, trips, cpuSec: cpu1 - cpu0, sent, received, wrong, drained, clients: conn.clients.length };
}

export const gateway: LoadFn = async (ctx) => {
  const nClients = param(ctx, 'clients');
  const notes: string[] = [];
  const direct = await measure(ctx, ctx.port, 'direct', async () => undefined, undefined);
  await after(500, undefined);

  const gw = await startGatewayProcess(ctx.port);
  try {
    // Warm-up: bridge a few clients and let them go, so what the first bridges compile and grow
    // counts in the baseline, not per client.
    const warm = await connectMany({ ...ctx, port: gw.port, clientProtocol: 'plain' }, 100, 50, 30_000);
    for (const c of warm.clients) c.close();
    await after(1000, undefined);
    await gw.gc();
    const baseRss = rssBytes(gw.pid);
    let bridgedRss = 0;
    const through = await measure(
      ctx,
      gw.port,
      'through the gateway',
      async () => {
        await after(500, undefined);
        await gw.gc();
        bridgedRss = rssBytes(gw.pid);
      },
      gw.pid,
    );
    for (const run of [direct, through]) {
      if (!run.drained) notes.push(`${run.sent - run.received} acks never came`);
      if (run.wrong > 0) notes.push(`${run.wrong} wrong acks`);
    }
    const directP50 = direct.hist.quantileMs(0.5);
    const gatewayP50 = through.hist.quantileMs(0.5);
    return {
      metrics: {
        directP50Ms: directP50,
        gatewayP50Ms: gatewayP50,
        addedP50Ms: gatewayP50 - directP50,
        gatewayP99Ms: through.hist.quantileMs(0.99),
        gatewayKbPerClient: (bridgedRss - baseRss) / 1024 / nClients,
        gatewayCpuUsPerMessage: (through.cpuSec / (2 * through.trips)) * 1e6,
        roundTripsPerSec: through.trips / (param(ctx, 'durationMs') / 1000),
      },
      expected: direct.sent + through.sent,
      received: direct.received + through.received,
      notes,
    };
  } finally {
    await gw.stop();
  }
};
