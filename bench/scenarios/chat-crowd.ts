/**
 * chat-crowd: what a crowd arriving costs in presence. `clients` Socket.IO clients connect to the
 * chat (`inFlight` handshakes at a time) and so join the lobby; each hears a snapshot of the lobby
 * once and deltas after. Then all of them ask to join room `crowd` at once (one `join` each, acked
 * with the room's members). Counted for each phase: the bytes of every `presence` packet and of the
 * member lists in the join acks, over all clients, and the server's CPU from the first handshake
 * (or join) until every client's view of the room counts all `clients` members. A client counts as
 * received once its view is complete (each delta carries the room's `count`).
 */
import type { WsClient } from '../client/ws-client.js';
import { cpuSeconds } from '../proc.js';
import { connectMany, describeErrors, type LoadFn, param, waitUntil } from './common.js';

const PATH = '/ws/chat/';
const PRESENCE = '42["presence",';
const SETTLE_TIMEOUT_MS = 60_000;

interface Phase {
  bytes: number;
  events: number;
}

/** The `count` a presence packet (or a join ack) ends with: `..."count":N}]`. */
function countOf(text: string): number {
  const at = text.lastIndexOf('"count":');
  return at < 0 ? -1 : Number.parseInt(text.slice(at + 8), 10);
}

function roomOf(text: string): string {
  const at = text.indexOf('"room":"');
  return at < 0 ? '' : text.slice(at + 8, text.indexOf('"', at + 8));
}

/** A crowd comes from many addresses: four clients per loopback address (127.0.1.1, 127.0.1.2, ...). */
function crowdAddress(index: number): string {
  const host = Math.floor(index / 4);
  return `127.0.${1 + Math.floor(host / 250)}.${1 + (host % 250)}`;
}

export const chatCrowd: LoadFn = async (ctx) => {
  const n = param(ctx, 'clients');
  const inFlight = param(ctx, 'inFlight');
  const notes: string[] = [];
  const lobbyCount = new Int32Array(n);
  const crowdCount = new Int32Array(n);
  const lobby: Phase = { bytes: 0, events: 0 };
  const crowd: Phase = { bytes: 0, events: 0 };
  let foreign = 0;
  let refusedJoins = 0;

  const cpu0 = cpuSeconds(ctx.pid, ctx.clkTck);
  const t0 = performance.now();
  const conn = await connectMany(
    ctx,
    n,
    inFlight,
    SETTLE_TIMEOUT_MS,
    (client, index) => {
      client.onPacket = (text) => {
        if (text.startsWith(PRESENCE)) {
          const room = roomOf(text);
          const phase = room === 'crowd' ? crowd : lobby;
          phase.bytes += text.length;
          phase.events++;
          (room === 'crowd' ? crowdCount : lobbyCount)[index] = countOf(text);
        } else if (text.startsWith('43')) {
          // The join ack: its member list is presence traffic too.
          crowd.bytes += text.length;
          if (!text.includes('"ok":true') && refusedJoins++ < 3) notes.push(`join refused: ${text.slice(0, 200)}`);
          crowdCount[index] = Math.max(crowdCount[index]!, countOf(text));
        } else foreign++;
      };
    },
    { path: PATH, auth: (index) => ({ name: `crowd-${index}` }), localAddress: crowdAddress },
  );
  if (conn.failed > 0) notes.push(`connect failures: ${describeErrors(conn.errors).join('; ')}`);
  const clients: WsClient[] = conn.clients;
  const lobbySettled = await waitUntil(() => lobbyCount.every((c) => c === n), SETTLE_TIMEOUT_MS, 5);
  const t1 = performance.now();
  const cpu1 = cpuSeconds(ctx.pid, ctx.clkTck);
  if (!lobbySettled) notes.push(`lobby views incomplete: ${lobbyCount.filter((c) => c !== n).length} clients`);
  ctx.log(`chat-crowd: ${clients.length} in the lobby in ${Math.round(t1 - t0)} ms, ${lobby.events} presence packets`);

  // Everyone joins `crowd` at once.
  for (const [i, client] of clients.entries()) client.send(`42${i}["join",{"room":"crowd"}]`);
  const crowdSettled = await waitUntil(() => crowdCount.every((c) => c === n), SETTLE_TIMEOUT_MS, 5);
  const t2 = performance.now();
  const cpu2 = cpuSeconds(ctx.pid, ctx.clkTck);
  if (!crowdSettled) notes.push(`crowd views incomplete: ${crowdCount.filter((c) => c !== n).length} clients`);
  if (foreign > 0) notes.push(`${foreign} unexpected packets`);
  for (const client of clients) client.destroy();

  const complete = (counts: Int32Array): number => counts.reduce((k, c) => k + (c === n ? 1 : 0), 0);
  return {
    metrics: {
      lobbyPresenceMB: lobby.bytes / 1e6,
      lobbyCpuSec: cpu1 - cpu0,
      lobbyEventsPerClient: lobby.events / n,
      lobbySettleMs: t1 - t0,
      joinPresenceMB: crowd.bytes / 1e6,
      joinCpuSec: cpu2 - cpu1,
      joinEventsPerClient: crowd.events / n,
      joinSettleMs: t2 - t1,
    },
    expected: 2 * n,
    received: complete(lobbyCount) + complete(crowdCount),
    notes,
  };
};
