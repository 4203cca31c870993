/**
 * connect: `total` full handshakes over websocket (upgrade, Engine.IO open, Socket.IO `40`
 * connect answered), `inFlight` at a time. Connections stay open until the end so the window holds
 * handshakes only. A short warm-up of 2 x inFlight handshakes comes first.
 */
import { cpuSeconds } from '../proc.js';
import { after, connectMany, describeErrors, type LoadFn, param } from './common.js';

export const connect: LoadFn = async (ctx) => {
  const total = param(ctx, 'total');
  const inFlight = param(ctx, 'inFlight');
  const notes: string[] = [];
  const warm = await connectMany(ctx, inFlight * 2, inFlight, 30_000);
  await after(300, undefined);
  const cpu0 = cpuSeconds(ctx.pid, ctx.clkTck);
  const conn = await connectMany(ctx, total, inFlight, 120_000);
  const cpu1 = cpuSeconds(ctx.pid, ctx.clkTck);
  const failures = new Map([...warm.errors, ...conn.errors]);
  if (failures.size > 0) notes.push(`connect failures: ${describeErrors(failures).join('; ')}`);
  const ok = conn.clients.length;
  return {
    metrics: {
      connectsPerSec: ok / (conn.elapsedMs / 1000),
      cpuUsPerConnect: ((cpu1 - cpu0) / ok) * 1e6,
    },
    expected: total + inFlight * 2,
    received: ok + warm.clients.length,
    notes,
  };
};
