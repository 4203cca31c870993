/**
 * echo: `clients` websocket clients, each with exactly one `echo` ack round trip in flight; the
 * ack must carry the args back. Round trips are timed one by one. Socket.IO clients send
 * `42<id>["echo",...]` and get `43<id>[...]`; plain clients (parley-plain) send
 * `{"event":"echo","args":[...],"id":<id>}` and get `{"ack":<id>,"args":[...]}`.
 */
import { cpuSeconds } from '../proc.js';
import type { ClientProtocol } from '../registry.js';
import { LatencyHistogram } from '../stats.js';
import { after, connectMany, describeErrors, type LoadFn, param, waitUntil } from './common.js';

/** The `echo` event with an ack id, and the ack it must bring back, in each client protocol. */
interface EchoFrames {
  event(id: number, args: string): string;
  ack(id: number, args: string): string;
  /** What every ack starts with; other packets are not looked at. */
  ackPrefix: string;
}

const FRAMES: Record<ClientProtocol, EchoFrames> = {
  'socket.io': {
    ackPrefix: '43',
    event: (id, args) => `42${id}["echo",${args}]`,
    ack: (id, args) => `43${id}[${args}]`,
  },
  plain: {
    ackPrefix: '{"ack":',
    event: (id, args) => `{"event":"echo","args":[${args}],"id":${id}}`,
    ack: (id, args) => `{"ack":${id},"args":[${args}]}`,
  },
};

export const echo: LoadFn = async (ctx) => {
  const nClients = param(ctx, 'clients');
  const warmupMs = param(ctx, 'warmupMs');
  const durationMs = param(ctx, 'durationMs');
  const notes: string[] = [];
  const frames = FRAMES[ctx.clientProtocol];
  const hist = new LatencyHistogram();
  let running = false;
  let timing = false;
  let sent = 0;
  let received = 0;
  let wrong = 0;
  let outstanding = 0;

  interface Peer {
    send(text: string): void;
    ackId: number;
    sentAt: number;
    index: number;
  }

  const fire = (p: Peer): void => {
    p.ackId++;
    p.sentAt = performance.now();
    sent++;
    outstanding++;
    p.send(frames.event(p.ackId, `"hello",${p.index},${p.ackId}`));
  };

  const peers: Peer[] = [];
  const conn = await connectMany(ctx, nClients, 50, 30_000, (client, index) => {
    const peer: Peer = { send: (t) => client.send(t), ackId: 0, sentAt: 0, index };
    peers.push(peer);
    client.onPacket = (text) => {
      if (!text.startsWith(frames.ackPrefix)) return;
      const expect = frames.ack(peer.ackId, `"hello",${peer.index},${peer.ackId}`);
      if (text !== expect) {
        wrong++;
        return;
      }
      const now = performance.now();
      received++;
      outstanding--;
      if (timing) hist.addMs(now - peer.sentAt);
      if (running) fire(peer);
    };
  });
  if (conn.clients.length < nClients) {
    throw new Error(
      `only ${conn.clients.length}/${nClients} connected: ${describeErrors(conn.errors).join('; ')}`,
    );
  }
  await after(200, undefined);

  const phase = async (ms: number): Promise<boolean> => {
    running = true;
    for (const p of peers) fire(p);
    await after(ms, undefined);
    running = false;
    return waitUntil(() => outstanding === 0, 10_000, 1);
  };

  if (!(await phase(warmupMs))) notes.push('warm-up did not drain');
  const received0 = received;
  const cpu0 = cpuSeconds(ctx.pid, ctx.clkTck);
  const t0 = performance.now();
  timing = true;
  const drained = await phase(durationMs);
  const t1 = performance.now();
  const cpu1 = cpuSeconds(ctx.pid, ctx.clkTck);
  if (!drained) notes.push(`${outstanding} acks never came`);
  if (wrong > 0) notes.push(`${wrong} wrong or unexpected acks`);
  const trips = received - received0;
  return {
    metrics: {
      roundTripsPerSec: trips / ((t1 - t0) / 1000),
      p50Ms: hist.quantileMs(0.5),
      p99Ms: hist.quantileMs(0.99),
      cpuUsPerRoundTrip: ((cpu1 - cpu0) / trips) * 1e6,
    },
    expected: sent,
    received,
    notes,
  };
};
