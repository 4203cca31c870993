/**
 * chat-joins: a connection that asks to join room after room. One Socket.IO client sends `warmup`
 * then `attempts` `join` requests for distinct rooms, `window` in flight, against the service's
 * default limits (a budget, a cap of rooms per connection). The figures are the server's RSS after
 * a full GC: growth over the `attempts` (measured after the warm-up) and growth from the start.
 * The warm-up is there because V8's young generation grows to its working size under any load at
 * this rate (to 32 MB of semi-spaces) and a forced GC does not shrink it: that is the process's
 * size under load, not something the attempts keep. Every attempt must be answered (accepted, or
 * refused with a code).
 */
import { connectMany, describeErrors, type LoadFn, param, rssAfterGc, waitUntil } from './common.js';

const PATH = '/ws/chat/';

export const chatJoins: LoadFn = async (ctx) => {
  const attempts = param(ctx, 'attempts');
  const warmup = param(ctx, 'warmup');
  const window = param(ctx, 'window');
  const notes: string[] = [];
  const codes = new Map<string, number>();
  let answered = 0;
  let sent = 0;
  const conn = await connectMany(ctx, 1, 1, 30_000, undefined, { path: PATH, auth: () => ({ name: 'joiner' }) });
  const client = conn.clients[0];
  if (client === undefined) throw new Error(`the client did not connect: ${describeErrors(conn.errors).join('; ')}`);
  let limit = 0;
  const pump = (): void => {
    while (sent < limit && sent - answered < window) {
      client.send(`42${sent}["join",{"room":"r-${sent}"}]`);
      sent++;
    }
  };
  client.onPacket = (text) => {
    if (!text.startsWith('43')) return;
    answered++;
    const at = text.indexOf('"code":"');
    const code = at < 0 ? 'ok' : text.slice(at + 8, text.indexOf('"', at + 8));
    codes.set(code, (codes.get(code) ?? 0) + 1);
    pump();
  };
  const start = await rssAfterGc(ctx);
  limit = warmup;
  pump();
  await waitUntil(() => answered === warmup, 120_000, 5);
  const before = await rssAfterGc(ctx);
  const t0 = performance.now();
  limit = warmup + attempts;
  pump();
  await waitUntil(() => answered === limit, 120_000, 5);
  const seconds = (performance.now() - t0) / 1000;
  const afterRss = await rssAfterGc(ctx);
  notes.push(`answers: ${[...codes].map(([c, k]) => `${c} ${k}`).join(', ')}`);
  client.destroy();
  return {
    metrics: {
      rssGrowthMB: (afterRss - before) / 1e6,
      rssGrowthFromStartMB: (afterRss - start) / 1e6,
      attemptsPerSec: attempts / seconds,
      accepted: codes.get('ok') ?? 0,
    },
    expected: warmup + attempts,
    received: answered,
    notes,
  };
};
