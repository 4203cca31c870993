/**
 * The load generator: one process per (server, scenario) run, started by bench/run.ts as
 * `node --import tsx bench/load.ts '<json>'` with {scenario, port, pid, clkTck, params, timeoutMs,
 * clientProtocol}. It prints
 * progress on stderr and one line `RESULT <json>` on stdout, then exits (dropping its sockets).
 */
import type { ClientProtocol, Params } from './registry.js';
import { chat } from './scenarios/chat.js';
import { chatCrowd } from './scenarios/chat-crowd.js';
import { chatFlood } from './scenarios/chat-flood.js';
import { chatJoins } from './scenarios/chat-joins.js';
import { clusterFanout } from './scenarios/cluster-fanout.js';
import type { LoadFn, LoadResult } from './scenarios/common.js';
import { connect } from './scenarios/connect.js';
import { echo } from './scenarios/echo.js';
import { fanout } from './scenarios/fanout.js';
import { gateway } from './scenarios/gateway.js';
import { idle } from './scenarios/idle.js';
import { noSticky } from './scenarios/no-sticky.js';
import { polling } from './scenarios/polling.js';

/** Load functions by scenario name; a scenario that has none yet is pending in the registry. */
const LOADS: Record<string, LoadFn> = {
  fanout,
  echo,
  idle,
  connect,
  polling,
  chat,
  'chat-crowd': chatCrowd,
  'chat-flood': chatFlood,
  'chat-joins': chatJoins,
  gateway,
  'cluster-fanout': clusterFanout,
  'no-sticky': noSticky,
};

/** The load functions that also drive plain WebSocket clients (the registry's parley-plain runs them). */
const PLAIN_LOADS: ReadonlySet<string> = new Set(['fanout', 'echo']);

export interface LoadRequest {
  scenario: string;
  port: number;
  pid: number;
  clkTck: number;
  params: Params;
  timeoutMs: number;
  /** What the websocket clients speak (default 'socket.io'). */
  clientProtocol?: ClientProtocol;
  /** Every node of a multi-node server (cluster-fanout); `port` and `pid` are the first one's. */
  nodes?: { port: number; pid: number }[];
  /** What the server announced after `extra` on its startup line (no-sticky). */
  extra?: Record<string, number>;
}

export interface LoadOutput extends LoadResult {
  lost: number;
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? '{}') as LoadRequest;
  const load = LOADS[req.scenario];
  if (load === undefined) throw new Error(`no load for scenario ${req.scenario}`);
  const clientProtocol = req.clientProtocol ?? 'socket.io';
  if (clientProtocol === 'plain' && !PLAIN_LOADS.has(req.scenario))
    throw new Error(`scenario ${req.scenario} has no plain WebSocket client variant`);
  setTimeout(() => {
    process.stderr.write(`load: ${req.scenario} exceeded ${req.timeoutMs} ms\n`);
    process.exit(3);
  }, req.timeoutMs).unref();
  const result = await load({
    port: req.port,
    pid: req.pid,
    clkTck: req.clkTck,
    params: req.params,
    clientProtocol,
    nodes: req.nodes ?? [{ port: req.port, pid: req.pid }],
    extra: req.extra ?? {},
    log: (msg) => process.stderr.write(`  ${msg}\n`),
  });
  const out: LoadOutput = { ...result, lost: result.expected - result.received };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`, () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
