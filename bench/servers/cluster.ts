/**
 * The cluster-fanout scenario's server: a redis-server of its own (127.0.0.1, a free port, no
 * persistence) and $BENCH_CLUSTER_NODES (default 3) nodes of one kind (argv[2]: parley or
 * socket.io; bench/servers/cluster-node.ts) on it, each its own process on its own port.
 *
 * Startup line: the bench contract's, for the first node, followed by every node as port:pid and
 * redis-server's pid, `bench-server <kind> listening on 127.0.0.1:<port> pid <pid> nodes
 * <port>:<pid>,... redis <pid>`, which the harness hands to the load generator (CPU is summed over
 * the nodes). Every process runs in the harness's process group, which it stops as a whole; on
 * SIGTERM/SIGINT this one also stops its children itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const kind = process.argv[2];
if (kind !== 'parley' && kind !== 'socket.io') throw new Error('usage: cluster.js parley|socket.io');
const NODES = Number(process.env.BENCH_CLUSTER_NODES ?? 3);
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const START_GUARD_MS = 20_000;

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-redis-'));
const stop = (): void => {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Spawns a child and resolves with the first stdout line `match` accepts. */
function start<T>(command: string, args: string[], env: NodeJS.ProcessEnv, match: (line: string) => T | undefined) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(' ')} did not start`)), START_GUARD_MS);
    child.once('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited (${code})`)));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const value = match(line);
      if (value === undefined) return;
      clearTimeout(timer);
      resolve(value);
    });
  });
}

const redisPort = await freePort();
await start(
  REDIS_SERVER,
  ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
  process.env,
  (line) => (line.includes('Ready to accept connections') ? true : undefined),
);
const redisPid = children[0]!.pid!;
const nodeScript = join(dirname(fileURLToPath(import.meta.url)), 'cluster-node.js');
const env = { ...process.env, PORT: '0', BENCH_REDIS_URL: `redis://127.0.0.1:${redisPort}` };
const nodes = await Promise.all(
  Array.from({ length: NODES }, () =>
    start(process.execPath, [nodeScript, kind], env, (line) => {
      const m = /listening on 127\.0\.0\.1:(\d+) pid (\d+)/.exec(line);
      return m ? { port: Number(m[1]), pid: Number(m[2]) } : undefined;
    }),
  ),
);
const first = nodes[0]!;
const list = nodes.map((n) => `${n.port}:${n.pid}`).join(',');
process.stdout.write(
  `bench-server ${kind} listening on 127.0.0.1:${first.port} pid ${first.pid} nodes ${list} redis ${redisPid}\n`,
);
