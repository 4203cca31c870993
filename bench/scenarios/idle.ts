/**
 * idle: RSS growth per idle websocket connection (Engine.IO open + Socket.IO connect, in room
 * `bench`), sampled after a full GC in the server (SIGUSR2), at `small` then `large` connections:
 * (RSS - baseline RSS) / connections. The baseline is taken after a warm-up of up to 200
 * connections, opened then closed.
 */

import type { WsClient } from '../client/ws-client.js';
import { after, connectMany, describeErrors, type LoadFn, param, rssAfterGc } from './common.js';


export const idle: LoadFn = async (ctx) => {
  const small = param(ctx, 'small');
  const large = param(ctx, 'large');
  const inFlight = param(ctx, 'inFlight');
  const notes: string[] = [];
  const clients: WsClient[] = [];
  let foreign = 0;

  const grow = async (to: number): Promise<void> => {
    const conn = await connectMany(ctx, to - clients.length, inFlight, 120_000, (client) => {
      client.onPacket = () => {
        foreign++;
      };
    });
    clients.push(...conn.clients);
    if (conn.failed > 0) notes.push(`connect failures: ${describeErrors(conn.errors).join('; ')}`);
    ctx.log(`idle: ${clients.length} connections (${Math.round(conn.elapsedMs)} ms)`);
    await after(500, undefined);
  };

  // Warm-up: open and close a few connections first, so code compiled and buffers grown for the
  // first connections count in the baseline, not per connection.
  const warm = await connectMany(ctx, Math.min(200, small), inFlight, 30_000);
  for (const c of warm.clients) c.close();
  await after(1000, undefined);
  const base = await rssAfterGc(ctx);
  await grow(small);
  const atSmall = await rssAfterGc(ctx);
  await grow(large);
  const atLarge = await rssAfterGc(ctx);
  const alive = clients.filter((c) => c.isConnected).length;
  if (foreign > 0) notes.push(`${foreign} unexpected packets`);
  return {
    metrics: {
      baselineMB: base / 2 ** 20,
      kbPerConnSmall: (atSmall - base) / 1024 / small,
      kbPerConnLarge: (atLarge - base) / 1024 / large,
      small,
      large,
    },
    expected: large,
    received: alive,
    notes,
  };
};
