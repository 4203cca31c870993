/**
 * What the multi-process bench servers (cluster.ts, no-sticky.ts) share: child processes stopped
 * with the launcher (SIGTERM/SIGINT stops them, removes the temp dir and exits), free ports, a
 * redis-server of their own, and nodes (cluster-node.ts) started and awaited by their startup line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const START_GUARD_MS = 20_000;
const NODE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'cluster-node.js');

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-redis-'));
const cleanups: (() => void)[] = [];
const stop = (): void => {
  for (const cleanup of cleanups) cleanup();
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

/** Runs `cleanup` when the launcher stops (before its children are stopped). */
export function onStop(cleanup: () => void): void {
  cleanups.push(cleanup);
}

export function freePort(): Promise<number> {
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

/** Spawns a child (stopped with the launcher) and resolves with the first stdout line `match` accepts. */
export function start<T>(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  match: (line: string) => T | undefined,
): Promise<T> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command} ${args.join(' ')} did not start`)),
      START_GUARD_MS,
    );
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

/** Starts a redis-server (127.0.0.1, a free port, no persistence); resolves with its URL and pid. */
export async function startRedis(): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const index = children.length;
  await start(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    process.env,
    (line) => (line.includes('Ready to accept connections') ? true : undefined),
  );
  return { url: `redis://127.0.0.1:${port}`, pid: children[index]!.pid! };
}

export interface NodeProcess {
  port: number;
  pid: number;
}

/** Starts one cluster-node.ts of `kind` with `env` added; resolves once it listens. */
export function startNode(kind: string, env: NodeJS.ProcessEnv): Promise<NodeProcess> {
  return start(process.execPath, [NODE_SCRIPT, kind], { ...process.env, PORT: '0', ...env }, (line) => {
    const m = /listening on 127\.0\.0\.1:(\d+) pid (\d+)/.exec(line);
    return m ? { port: Number(m[1]), pid: Number(m[2]) } : undefined;
  });
}
