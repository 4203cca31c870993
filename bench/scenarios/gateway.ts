/**
 * gateway: `clients` plain WebSocket clients, each sending one `echo` event with an ack every
 * `periodMs` (a moderate, open-loop rate: `clients` / `periodMs` round trips per ms), straight to
 * the parley bench server, and as many clients through `parley gateway` in front of the same server
 * (bench/servers/gateway.ts, its own process, started here). The two groups are connected together
 * and send in turns of `sliceMs`, `durationMs` in all each, so a change in the machine's load
 * during the run weighs on both. Reported: both p50s and their difference (the latency the gateway
 * adds), the gateway's RSS per bridged client (after a full GC, against its baseline after a
 * warm-up) and its CPU per bridged message during its group's turns (each round trip is two: the
 * event up, the ack down).
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
    env: { ...process.env, PORT: '0', UPSTREAM_PORT: String(upstreamPort), EXIT_WITH_STDIN: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
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

/** `clients` plain clients at one port, sending `echo` events with acks while `start`ed. */
class Group {
  readonly hist = new LatencyHistogram();
  sent = 0;
  received = 0;
  wrong = 0;
  /** Whether the next sends are timed (set per slice). */
  timing = false;
  private readonly clients: WsClient[] = [];
  private readonly sentAt: Float64Array;
  private readonly timed: Uint8Array;
  private readonly ackIds: Uint32Array;

  private constructor(readonly label: string, private readonly n: number) {
    this.sentAt = new Float64Array(n);
    this.timed = new Uint8Array(n);
    this.ackIds = new Uint32Array(n);
  }

  static async connect(ctx: LoadContext, port: number, label: string): Promise<Group> {
    const n = param(ctx, 'clients');
    const group = new Group(label, n);
    const plain: LoadContext = { ...ctx, port, clientProtocol: 'plain' };
    const conn = await connectMany(plain, n, 50, 60_000, (client, index) => {
      // By setup index: `conn.clients` is in the order the handshakes completed.
      group.clients[index] = client;
      client.onPacket = (text) => group.onPacket(index, text);
    });
    if (conn.clients.length < n)
      throw new Error(`${label}: only ${conn.clients.length}/${n} connected: ${describeErrors(conn.errors).join('; ')}`);
    return group;
  }

  private onPacket(index: number, text: string): void {
    if (!text.startsWith('{"ack":')) return;
    const id = this.ackIds[index]!;
    if (text !== `{"ack":${id},"args":["hello",${index},${id}]}`) {
      this.wrong++;
      return;
    }
    this.received++;
    if (this.timed[index] === 1) this.hist.addMs(performance.now() - this.sentAt[index]!);
  }

  /** Each client sends one event every `periodMs`, phases spread over the period (a steady rate, not bursts). */
  start(periodMs: number): () => void {
    const stops = this.clients.map((client, index) => {
      const fire = () => {
        const id = ++this.ackIds[index]!;
        this.sentAt[index] = performance.now();
        this.timed[index] = this.timing ? 1 : 0;
        this.sent++;
        client.send(`{"event":"echo","args":["hello",${index},${id}],"id":${id}}`);
      };
      let interval: NodeJS.Timeout | undefined;
      const first = setTimeout(() => {
        fire();
        interval = setInterval(fire, periodMs);
      }, (index / this.n) * periodMs);
      return () => {
        clearTimeout(first);
        clearInterval(interval);
      };
    });
    return () => {
      for (const stop of stops) stop();
    };
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}

export const gateway: LoadFn = async (ctx) => {
  const nClients = param(ctx, 'clients');
  const periodMs = param(ctx, 'periodMs');
  const sliceMs = param(ctx, 'sliceMs');
  const slices = Math.max(1, Math.round(param(ctx, 'durationMs') / sliceMs));
  const notes: string[] = [];
  const gw = await startGatewayProcess(ctx.port);
  const groups: Group[] = [];
  try {
    // Warm-up: bridge a few clients and let them go, so what the first bridges compile and grow
    // counts in the baseline, not per client.
    const warm = await connectMany({ ...ctx, port: gw.port, clientProtocol: 'plain' }, 100, 50, 30_000);
    for (const c of warm.clients) c.close();
    await after(1000, undefined);
    await gw.gc();
    const baseRss = rssBytes(gw.pid);
    const through = await Group.connect(ctx, gw.port, 'through the gateway');
    groups.push(through);
    await after(500, undefined);
    await gw.gc();
    const bridgedRss = rssBytes(gw.pid);
    const direct = await Group.connect(ctx, ctx.port, 'direct');
    groups.push(direct);

    // The two groups send in turns, slice by slice (direct, gateway, direct...): both see the
    // machine as it is over the whole run, not one the first half and the other the second.
    let gatewayCpu = 0;
    let gatewayTrips = 0;
    const slice = async (group: Group, timed: boolean): Promise<void> => {
      group.timing = timed;
      const cpu0 = group === through ? cpuSeconds(gw.pid, ctx.clkTck) : 0;
      const received0 = group.received;
      const stop = group.start(periodMs);
      await after(sliceMs, undefined);
      stop();
      await waitUntil(() => group.received === group.sent, 10_000, 2);
      if (timed && group === through) {
        gatewayCpu += cpuSeconds(gw.pid, ctx.clkTck) - cpu0;
        gatewayTrips += group.received - received0;
      }
    };
    await slice(direct, false);
    await slice(through, false);
    for (let i = 0; i < slices; i++) {
      await slice(i % 2 === 0 ? direct : through, true);
      await slice(i % 2 === 0 ? through : direct, true);
    }
    for (const group of groups) {
      if (group.received !== group.sent) notes.push(`${group.label}: ${group.sent - group.received} acks never came`);
      if (group.wrong > 0) notes.push(`${group.label}: ${group.wrong} wrong acks`);
      ctx.log(`gateway: ${group.label}: ${group.hist.count} round trips timed, p50 ${group.hist.quantileMs(0.5).toFixed(3)} ms`);
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
        // Each round trip is two bridged messages: the event up, its ack down.
        gatewayCpuUsPerMessage: (gatewayCpu / (2 * gatewayTrips)) * 1e6,
        roundTripsPerSec: gatewayTrips / ((slices * sliceMs) / 1000),
      },
      expected: direct.sent + through.sent,
      received: direct.received + through.received,
      notes,
    };
  } finally {
    for (const group of groups) group.close();
    await gw.stop();
  }
};
