/**
 * no-sticky: long-polling clients behind a round-robin TCP proxy, no session affinity
 * (bench/servers/no-sticky.ts starts the nodes and the proxies). Two groups of `clients` polling
 * clients, each request a new TCP connection (`Connection: close`), each client with one `echo`
 * in flight (POSTed; the reply comes on its held GET, as in the polling scenario):
 * - "forward": through the proxy over 3 nodes; a request that lands on a node that does not own
 *   its session is forwarded by that node to the owner (parley's `forward`);
 * - "baseline": through a proxy over one node of the same kind and options: nothing to forward.
 * The groups take turns, alternating which goes first, so a change in the machine's load weighs
 * on both: after a warm-up turn of `warmupMs` each, `turns` loaded turns of `sliceMs` (every
 * client of the group busy; a turn ends when its replies are in) and as many light turns of
 * `lightMs` (one client of the group: the path's own latency, without queueing behind the others).
 * Reported per group: messages/s and round-trip p50/p99 under load, node CPU per message (summed
 * over the group's nodes); what forwarding adds to the p50 (forward - baseline) under load and
 * with one client; the throughput ratio (forward / baseline); the share of requests the proxy sent
 * to a node that did not own their session; and the share of HTTP answers with status 400 ("Session
 * ID unknown") through the 3-node proxy, connects included. On a server without forwarding
 * (socket.io; `forwarding=0` in its startup line) most clients cannot connect through the 3-node
 * proxy: that share is its one figure and the run stops there. On a forwarding server (parley), a
 * client that cannot connect fails the run.
 */
import { PollingClient } from '../client/polling-client.js';
import { cpuSeconds } from '../proc.js';
import { LatencyHistogram } from '../stats.js';
import { after, type LoadContext, type LoadFn, type LoadResult, param, waitUntil } from './common.js';

const DRAIN_TIMEOUT_MS = 10_000;

interface Peer {
  client: PollingClient;
  index: number;
  seq: number;
  sentAt: number;
}

interface ProxyCounts {
  connections: number;
  withSid: number;
  misrouted: number;
}

class Group {
  readonly hist = new LatencyHistogram();
  readonly lightHist = new LatencyHistogram();
  private current: LatencyHistogram | undefined;
  readonly peers: Peer[] = [];
  readonly attempted: PollingClient[] = [];
  readonly errors = new Map<string, number>();
  sent = 0;
  received = 0;
  outstanding = 0;
  wrong = 0;
  closed = 0;
  /** Why the server's side ended them (the client's reason: a status, an error, 'engine close'). */
  readonly closeReasons = new Map<string, number>();
  running = false;
  /** Totals over the measured turns. */
  windowMs = 0;
  windowMessages = 0;
  cpuSec = 0;
  turnMessages = 0;

  constructor(
    readonly label: string,
    private readonly port: number,
    private readonly pids: readonly number[],
    private readonly clkTck: number,
  ) {}

  /** Opens `n` clients, 50 handshakes at a time; resolves with how many connected. */
  async connect(n: number): Promise<number> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < n) {
        const index = next++;
        const client = new PollingClient({ port: this.port, newConnectionPerRequest: true });
        this.attempted.push(client);
        const peer: Peer = { client, index, seq: 0, sentAt: 0 };
        client.onPacket = (text) => this.onPacket(peer, text);
        client.onClose = (reason) => {
          if (reason === 'client close') return;
          this.closed++;
          this.closeReasons.set(reason, (this.closeReasons.get(reason) ?? 0) + 1);
        };
        try {
          await Promise.race([
            client.connect(),
            after(30_000, undefined).then(() => Promise.reject(new Error('timed out'))),
          ]);
          this.peers.push(peer);
        } catch (err) {
          const msg = (err as Error).message;
          this.errors.set(msg, (this.errors.get(msg) ?? 0) + 1);
          client.close();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(50, n) }, worker));
    return this.peers.length;
  }

  /** HTTP answers to this group's clients, and how many had status 400. */
  answers(): { answers: number; refused: number } {
    let answers = 0;
    let refused = 0;
    for (const c of this.attempted) {
      answers += c.answers;
      refused += c.refused;
    }
    return { answers, refused };
  }

  private fire(p: Peer): void {
    p.seq++;
    p.sentAt = performance.now();
    this.sent++;
    this.outstanding++;
    p.client.send(`42["echo",${p.index},${p.seq}]`);
  }

  private onPacket(p: Peer, text: string): void {
    if (text !== `42["echo",${p.index},${p.seq}]`) {
      this.wrong++;
      return;
    }
    this.received++;
    this.outstanding--;
    this.current?.addMs(performance.now() - p.sentAt);
    if (this.running) this.fire(p);
  }

  private cpu(): number {
    return this.pids.reduce((sum, pid) => sum + cpuSeconds(pid, this.clkTck), 0);
  }

  /**
   * One turn: `active` clients (default all) keep one echo in flight each for `ms`, then the
   * replies drain. `kind` says where it counts: nowhere (warm-up), the loaded figures, the light p50.
   */
  async turn(ms: number, kind: 'warmup' | 'loaded' | 'light', active = this.peers.length): Promise<boolean> {
    const r0 = this.received;
    const cpu0 = this.cpu();
    const t0 = performance.now();
    this.current = kind === 'loaded' ? this.hist : kind === 'light' ? this.lightHist : undefined;
    this.running = true;
    for (const p of this.peers.slice(0, active)) this.fire(p);
    await after(ms, undefined);
    this.running = false;
    const t1 = performance.now();
    const r1 = this.received;
    const drained = await waitUntil(() => this.outstanding === 0, DRAIN_TIMEOUT_MS, 1);
    this.current = undefined;
    if (kind === 'loaded') {
      this.windowMs += t1 - t0;
      this.windowMessages += r1 - r0;
      this.cpuSec += this.cpu() - cpu0;
      this.turnMessages += this.received - r0;
    }
    return drained;
  }

  close(): void {
    for (const c of this.attempted) c.close();
  }
}

async function proxyCounts(ctx: LoadContext): Promise<{ forward: ProxyCounts; baseline: ProxyCounts }> {
  const res = await fetch(`http://127.0.0.1:${ctx.extra.stats}/`);
  return (await res.json()) as { forward: ProxyCounts; baseline: ProxyCounts };
}

export const noSticky: LoadFn = async (ctx): Promise<LoadResult> => {
  const nClients = param(ctx, 'clients');
  const sliceMs = param(ctx, 'sliceMs');
  const lightMs = param(ctx, 'lightMs');
  const turns = param(ctx, 'turns');
  const warmupMs = param(ctx, 'warmupMs');
  const { forward: forwardPort, baseline: baselinePort, baselinePid } = ctx.extra;
  if (forwardPort === undefined || baselinePort === undefined || baselinePid === undefined)
    throw new Error('no-sticky needs the server to announce extra forward=,baseline=,stats=,baselinePid=');
  const notes: string[] = [];
  const forward = new Group(
    'forward',
    forwardPort,
    ctx.nodes.map((n) => n.pid),
    ctx.clkTck,
  );
  const baseline = new Group('baseline', baselinePort, [baselinePid], ctx.clkTck);

  const connected = await forward.connect(nClients);
  if (connected < nClients && ctx.extra.forwarding === 1) {
    const why = [...forward.errors].map(([msg, n]) => `${n}x ${msg}`).join('; ');
    throw new Error(
      `through the proxy over ${ctx.nodes.length} forwarding nodes: only ${connected}/${nClients} connected: ${why}`,
    );
  }
  if (connected < nClients) {
    // A server without forwarding (socket.io): nothing to compare, the share of 400s is the figure.
    const { answers, refused } = forward.answers();
    const why = [...forward.errors].map(([msg, n]) => `${n}x ${msg}`).join('; ');
    notes.push(
      `through the ${ctx.nodes.length}-node proxy only ${connected}/${nClients} clients connected ` +
        `(${refused} of ${answers} answers 400): ${why}`,
    );
    forward.close();
    return { metrics: { refusedShare: refused / answers }, expected: 0, received: 0, notes };
  }
  if ((await baseline.connect(nClients)) < nClients) {
    const why = [...baseline.errors].map(([msg, n]) => `${n}x ${msg}`).join('; ');
    throw new Error(`baseline: only ${baseline.peers.length}/${nClients} connected: ${why}`);
  }
  const groups = [forward, baseline];
  ctx.log(`no-sticky: ${nClients} clients per group, ${groups.map((g) => g.label).join(' and ')}`);
  await after(200, undefined);

  for (const g of groups) {
    if (!(await g.turn(warmupMs, 'warmup'))) notes.push(`${g.label}: warm-up did not drain`);
  }
  const counts0 = await proxyCounts(ctx);
  // Turns alternate A B, B A, A B, ...: neither group always goes first.
  for (let i = 0; i < turns; i++) {
    const order = i % 2 === 0 ? groups : [...groups].reverse();
    for (const g of order) {
      if (!(await g.turn(sliceMs, 'loaded')))
        notes.push(`${g.label}: turn ${i + 1} did not drain (${g.outstanding} replies missing)`);
    }
    for (const g of [...order].reverse()) {
      if (!(await g.turn(lightMs, 'light', 1))) notes.push(`${g.label}: light turn ${i + 1} did not drain`);
    }
  }
  const counts1 = await proxyCounts(ctx);
  for (const g of groups) {
    if (g.wrong > 0) notes.push(`${g.label}: ${g.wrong} unexpected packets`);
    if (g.closed > 0) {
      const why = [...g.closeReasons].map(([reason, n]) => `${n}x ${reason.slice(0, 120)}`).join('; ');
      notes.push(`${g.label}: ${g.closed} sessions closed by the server (${why})`);
    }
  }
  const { answers, refused } = forward.answers();
  forward.close();
  baseline.close();

  const withSid = counts1.forward.withSid - counts0.forward.withSid;
  const misrouted = counts1.forward.misrouted - counts0.forward.misrouted;
  const rate = (g: Group): number => g.windowMessages / (g.windowMs / 1000);
  const cpuUs = (g: Group): number => (g.cpuSec / g.turnMessages) * 1e6;
  const p50 = (h: LatencyHistogram): number => h.quantileMs(0.5);
  return {
    metrics: {
      forwardMessagesPerSec: rate(forward),
      forwardP50Ms: p50(forward.hist),
      forwardP99Ms: forward.hist.quantileMs(0.99),
      baselineMessagesPerSec: rate(baseline),
      baselineP50Ms: p50(baseline.hist),
      baselineP99Ms: baseline.hist.quantileMs(0.99),
      addedP50Ms: p50(forward.hist) - p50(baseline.hist),
      forwardLightP50Ms: p50(forward.lightHist),
      baselineLightP50Ms: p50(baseline.lightHist),
      addedLightP50Ms: p50(forward.lightHist) - p50(baseline.lightHist),
      throughputRatio: rate(forward) / rate(baseline),
      forwardCpuUsPerMessage: cpuUs(forward),
      baselineCpuUsPerMessage: cpuUs(baseline),
      misroutedShare: withSid === 0 ? Number.NaN : misrouted / withSid,
      refusedShare: answers === 0 ? Number.NaN : refused / answers,
    },
    expected: forward.sent + baseline.sent,
    received: forward.received + baseline.received,
    notes,
  };
};
