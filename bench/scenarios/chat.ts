/**
 * chat: the chat service's message path. `clients` websocket clients connect to /ws/chat/
 * (Engine.IO open + Socket.IO connect to `/` with auth {name}); the service puts each in room
 * `lobby` (and announces `presence` to the room, which is left to settle before sending). Then
 * `senders` of them take turns emitting `message` {type:"text", content} with an ack id, the
 * ~100-character content carrying a sequence number and the send time. The server validates,
 * stores (SQLite, committed), broadcasts `message` {id, room, from, type, content, ts} to the room,
 * sender included, and acks {ok:true, id}. A message is complete once all `clients` got it and its
 * sender got the ack; the next one goes out only while fewer than `window` are incomplete. A
 * warm-up of `warmup` messages, then `messages` measured ones (sending stops after `maxMs`).
 * Every delivery and every ack is counted: expected = sent * (clients + 1).
 */
import type { WsClient } from '../client/ws-client.js';
import { cpuSeconds } from '../proc.js';
import { LatencyHistogram } from '../stats.js';
import { connectMany, describeErrors, type LoadFn, param, waitUntil } from './common.js';

const PATH = '/ws/chat/';
const MESSAGE = '42["message",';
const PRESENCE = '42["presence",';
const CONTENT = '"content":"';
const ACK_OK = '[{"ok":true';
const RING = 1 << 14;
const CONTENT_CHARS = 100;
const DRAIN_TIMEOUT_MS = 10_000;
const QUIET_MS = 500; // presence settled: no `presence` packet for this long
const SETTLE_TIMEOUT_MS = 20_000;

export const chat: LoadFn = async (ctx) => {
  const nClients = param(ctx, 'clients');
  const nSenders = Math.min(param(ctx, 'senders'), nClients);
  const window = Math.min(param(ctx, 'window'), RING / 2);
  const warmup = param(ctx, 'warmup');
  const measured = param(ctx, 'messages');
  const maxMs = param(ctx, 'maxMs');
  const notes: string[] = [];

  const deliveredTo = new Uint32Array(RING); // deliveries seen per in-flight sequence number
  const acked = new Uint8Array(RING);
  const deliveryHist = new LatencyHistogram();
  const ackHist = new LatencyHistogram();
  const sentAt = new Float64Array(RING);
  let sent = 0;
  let limit = 0; // send while sent < limit
  let completed = 0;
  let deliveries = 0;
  let acks = 0;
  let refused = 0;
  let maxId = 0;
  let presence = 0;
  let lastPresence = performance.now();
  let foreign = 0;
  let timedFrom = Number.POSITIVE_INFINITY; // first sequence number whose latency is recorded
  let disconnects = 0;
  let senders: WsClient[] = [];
  const perClient = new Uint32Array(nClients); // deliveries per client, checked at the end

  const pump = (): void => {
    while (sent < limit && sent - completed < window) {
      const t = Math.round(performance.now() * 1000) / 1000;
      const head = `${sent} ${t} `;
      const content = head + 'x'.repeat(Math.max(0, CONTENT_CHARS - head.length));
      sentAt[sent & (RING - 1)] = t;
      senders[sent % senders.length]!.send(`42${sent}["message",{"type":"text","content":"${content}"}]`);
      sent++;
    }
  };

  const complete = (slot: number): void => {
    if (deliveredTo[slot] !== nClients || acked[slot] === 0) return;
    deliveredTo[slot] = 0;
    acked[slot] = 0;
    completed++;
    pump();
  };

  const onDelivery = (index: number, text: string): void => {
    const at = text.indexOf(CONTENT, MESSAGE.length);
    const seqEnd = text.indexOf(' ', at + CONTENT.length);
    const seq = Number(text.slice(at + CONTENT.length, seqEnd));
    if (at < 0 || !Number.isInteger(seq)) {
      foreign++;
      return;
    }
    deliveries++;
    perClient[index]!++;
    if (seq >= timedFrom) {
      const t = Number(text.slice(seqEnd + 1, text.indexOf(' ', seqEnd + 1)));
      deliveryHist.addMs(performance.now() - t);
    }
    const slot = seq & (RING - 1);
    deliveredTo[slot]!++;
    complete(slot);
  };

  const onAck = (text: string): void => {
    const open = text.indexOf('[');
    const seq = Number(text.slice(2, open));
    if (!Number.isInteger(seq) || seq >= sent) {
      foreign++;
      return;
    }
    if (!text.startsWith(ACK_OK, open)) {
      refused++;
      if (refused <= 3) notes.push(`refused: ${text.slice(0, 200)}`);
      return;
    }
    acks++;
    const idAt = text.indexOf('"id":', open);
    if (idAt > 0) maxId = Math.max(maxId, Number.parseInt(text.slice(idAt + 5), 10));
    const slot = seq & (RING - 1);
    if (seq >= timedFrom) ackHist.addMs(performance.now() - sentAt[slot]!);
    acked[slot] = 1;
    complete(slot);
  };

  const conn = await connectMany(
    ctx,
    nClients,
    50,
    60_000,
    (client, index) => {
      client.onPacket = (text) => {
        if (text.startsWith(MESSAGE)) onDelivery(index, text);
        else if (text.startsWith('43')) onAck(text);
        else if (text.startsWith(PRESENCE)) {
          presence++;
          lastPresence = performance.now();
        } else foreign++;
      };
      client.onClose = () => {
        if (client.sid !== '') disconnects++;
      };
    },
    { path: PATH, auth: (index) => ({ name: `bench-${index}` }) },
  );
  if (conn.failed > 0) notes.push(`connect failures: ${describeErrors(conn.errors).join('; ')}`);
  if (conn.clients.length < nClients)
    throw new Error(`only ${conn.clients.length}/${nClients} clients connected`);
  senders = conn.clients.slice(0, nSenders);
  const settled = await waitUntil(() => performance.now() - lastPresence > QUIET_MS, SETTLE_TIMEOUT_MS, 20);
  ctx.log(
    `chat: ${nClients} clients connected in ${Math.round(conn.elapsedMs)} ms; ${presence} presence packets` +
      `${settled ? '' : ' (still coming)'}`,
  );
  if (!settled) notes.push('presence did not settle');

  // Warm-up, then drain.
  limit = warmup;
  pump();
  if (!(await waitUntil(() => completed === sent, DRAIN_TIMEOUT_MS + maxMs)))
    notes.push('warm-up did not drain');

  // Measured phase: from the first send until the last delivery and ack.
  const deliveries0 = deliveries;
  const cpu0 = cpuSeconds(ctx.pid, ctx.clkTck);
  const t0 = performance.now();
  timedFrom = sent;
  limit = sent + measured;
  pump();
  await waitUntil(() => completed === limit, maxMs, 1);
  if (completed < limit) {
    limit = sent; // out of time: stop sending, drain what is out
    notes.push(`stopped after ${maxMs} ms: ${sent - timedFrom}/${measured} messages sent`);
  }
  const drained = await waitUntil(() => completed === sent, DRAIN_TIMEOUT_MS, 1);
  const t1 = performance.now();
  const cpu1 = cpuSeconds(ctx.pid, ctx.clkTck);
  if (!drained) notes.push(`did not drain: ${sent - completed} messages incomplete`);
  if (disconnects > 0) notes.push(`${disconnects} clients disconnected`);
  if (foreign > 0) notes.push(`${foreign} unexpected packets`);
  const short = perClient.reduce((n, c) => n + (c === sent ? 0 : 1), 0);
  if (short > 0) notes.push(`${short} clients did not get exactly ${sent} messages`);
  if (maxId !== sent) notes.push(`highest stored id ${maxId}, ${sent} messages sent`);

  const messages = sent - timedFrom;
  const measuredDeliveries = deliveries - deliveries0;
  const cpu = cpu1 - cpu0;
  const seconds = (t1 - t0) / 1000;
  return {
    metrics: {
      messagesPerSec: messages / seconds,
      deliveriesPerSec: measuredDeliveries / seconds,
      p50Ms: deliveryHist.quantileMs(0.5),
      p99Ms: deliveryHist.quantileMs(0.99),
      ackP50Ms: ackHist.quantileMs(0.5),
      ackP99Ms: ackHist.quantileMs(0.99),
      cpuUsPerMessage: (cpu / messages) * 1e6,
      cpuUsPerDelivery: (cpu / measuredDeliveries) * 1e6,
      messages,
    },
    expected: sent * (nClients + 1),
    received: deliveries + acks,
    notes,
  };
};
