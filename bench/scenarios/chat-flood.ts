/**
 * chat-flood: does one client's abuse reach another's chat? The server keeps its default limits
 * and holds `seed` stored messages in the lobby (full history pages). `flooders` Socket.IO clients,
 * each from its own loopback address (127.0.0.3, .4, ...), ask `history {room:"lobby", limit:100}`
 * as fast as they can: `window` requests in flight each, a new one on every answer. Meanwhile a
 * chatter from 127.0.0.2 sends one `message` every `periodMs` (within the default message rate),
 * for `durationMs`; its ack latency is the figure. Reported too: history bytes the flooders got per
 * second, their refused share, and the server's CPU over the run.
 */
import type { WsClient } from '../client/ws-client.js';
import { cpuSeconds } from '../proc.js';
import { LatencyHistogram } from '../stats.js';
import { after, connectMany, describeErrors, type LoadFn, param, waitUntil } from './common.js';

const PATH = '/ws/chat/';
const REQUEST = '["history",{"room":"lobby","limit":100}]';

export const chatFlood: LoadFn = async (ctx) => {
  const nFlooders = param(ctx, 'flooders');
  const window = param(ctx, 'window');
  const periodMs = param(ctx, 'periodMs');
  const durationMs = param(ctx, 'durationMs');
  const notes: string[] = [];
  const ackHist = new LatencyHistogram();
  let historyBytes = 0;
  let answered = 0;
  let refused = 0;
  let running = true;
  let chatterAcks = 0;
  let chatterRefused = 0;
  const sentAt = new Map<number, number>();

  const flooders = await connectMany(
    ctx,
    nFlooders,
    nFlooders,
    30_000,
    (client) => {
      let next = 0;
      client.onPacket = (text) => {
        if (!text.startsWith('43')) return;
        answered++;
        historyBytes += text.length;
        if (!text.includes('"ok":true')) refused++;
        if (running) client.send(`42${next++}${REQUEST}`);
      };
    },
    { path: PATH, auth: (i) => ({ name: `flooder-${i}` }), localAddress: (i) => `127.0.0.${3 + i}` },
  );
  const chatterConn = await connectMany(
    ctx,
    1,
    1,
    30_000,
    (client) => {
      client.onPacket = (text) => {
        if (!text.startsWith('43')) return;
        const id = Number.parseInt(text.slice(2), 10);
        const at = sentAt.get(id);
        if (at === undefined) return;
        sentAt.delete(id);
        if (text.includes('"ok":true')) {
          chatterAcks++;
          ackHist.addMs(performance.now() - at);
        } else {
          chatterRefused++;
          if (chatterRefused <= 3) notes.push(`chatter refused: ${text.slice(0, 200)}`);
        }
      };
    },
    { path: PATH, auth: () => ({ name: 'chatter' }), localAddress: () => '127.0.0.2' },
  );
  const problems = [flooders, chatterConn].filter((c) => c.failed > 0);
  for (const c of problems) notes.push(`connect failures: ${describeErrors(c.errors).join('; ')}`);
  const chatter: WsClient | undefined = chatterConn.clients[0];
  if (chatter === undefined || flooders.clients.length < nFlooders) throw new Error('clients did not connect');

  const cpu0 = cpuSeconds(ctx.pid, ctx.clkTck);
  const t0 = performance.now();
  let requestId = 1_000_000;
  for (const flooder of flooders.clients) {
    for (let i = 0; i < window; i++) flooder.send(`42${requestId++}${REQUEST}`);
  }
  let sent = 0;
  while (performance.now() - t0 < durationMs) {
    sentAt.set(sent, performance.now());
    chatter.send(`42${sent}["message",{"type":"text","content":"ping ${sent}"}]`);
    sent++;
    await after(periodMs, undefined);
  }
  running = false;
  await waitUntil(() => sentAt.size === 0, 10_000, 5);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(ctx.pid, ctx.clkTck) - cpu0;
  if (sentAt.size > 0) notes.push(`${sentAt.size} chatter messages unanswered`);
  for (const client of [...flooders.clients, chatter]) client.destroy();

  return {
    metrics: {
      chatterAckP50Ms: ackHist.quantileMs(0.5),
      chatterAckP99Ms: ackHist.quantileMs(0.99),
      chatterRefused,
      floodRequestsPerSec: answered / seconds,
      floodRefusedShare: answered === 0 ? 0 : refused / answered,
      floodMBPerSec: historyBytes / 1e6 / seconds,
      cpuSec: cpu,
    },
    expected: sent,
    received: chatterAcks + chatterRefused,
    notes,
  };
};
