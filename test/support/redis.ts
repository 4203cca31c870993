/**
 * A fresh redis-server per test file: 127.0.0.1, a free port, a temp dir, no persistence. Outside
 * CI a missing redis-server skips loudly; with CI=true it fails (requirements.ts).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePeer } from './requirements.js';

const REDIS_SERVER = '/usr/bin/redis-server';
/** Debian's redis-tools, a dependency of redis-server. */
const REDIS_CLI = '/usr/bin/redis-cli';

/** Whether redis-server can be run here. */
export function redisAvailable(): boolean {
  return spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Skips (or with CI=true fails) the test when redis-server is missing. */
export function requireRedis(t: { skip(message?: string): void }): boolean {
  return requirePeer(t, 'redis-server', redisAvailable(), 'apt-get install redis-server');
}

/** A port nobody listens on right now (the OS picks it). */
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

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts redis-server (on `port`, to restart one, else a free port) and resolves once it accepts
 * connections. `extra` arguments are added to its command line.
 */
export async function startRedis(onPort?: number, extra: readonly string[] = []): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
  const port = onPort ?? (await freePort());
  const child: ChildProcess = spawn(
    REDIS_SERVER,
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      ...['--protected-mode', 'no', ...extra],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(guard);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(guard);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  // Drained from now on, so a full pipe never blocks the server.
  child.stdout?.resume();
  child.stderr?.resume();
  // A test file that crashes before its `after` hook leaves no server behind.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) {
          process.off('exit', onExit);
          done();
          return;
        }
        process.off('exit', onExit);
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

export interface RedisCluster {
  /** One node's URL: a cluster client finds the others from it. */
  readonly url: string;
  readonly nodes: readonly RedisServer[];
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of `masters` redis-servers (no replicas), each on 127.0.0.1 with a free port and
 * a free cluster-bus port, the slots spread over them by `redis-cli --cluster create`; resolves
 * once every node reports the cluster ok.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  const stop = async () => {
    for (const node of nodes) await node.stop();
  };
  try {
    for (let i = 0; i < masters; i++) {
      // The bus port is given: the default (port + 10000) may be past 65535 for an ephemeral port.
      const bus = await freePort();
      nodes.push(
        await startRedis(undefined, ['--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-node-timeout', '5000']),
      );
    }
    const create = spawnSync(
      REDIS_CLI,
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
    const deadline = Date.now() + 15_000;
    for (const node of nodes) {
      for (;;) {
        const info = spawnSync(REDIS_CLI, ['-p', String(node.port), 'cluster', 'info'], { encoding: 'utf8' });
        if (info.stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`the Redis Cluster is not ok after 15 s:\n${info.stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: nodes[0]!.url, nodes, stop };
}
