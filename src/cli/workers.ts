/**
 * `parley serve --workers N`: N node:cluster workers, each a whole chat server, behind one port.
 *
 * The primary serves no client: it forks the workers, relays between them for
 * @socket.io/cluster-adapter (`setupPrimary`), prints the banner once every worker listens, and on
 * SIGTERM/SIGINT stops them all before it exits. node:cluster hands each accepted TCP connection
 * to the next worker (round-robin), so the requests of one long-polling session reach several
 * workers: each worker is a node of the engine's `forward` option (no sticky sessions), with a
 * second, private HTTP server on 127.0.0.1 where the others pass it the requests of its sessions.
 * The primary keeps the table of those addresses and sends it to every worker when it changes.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { createAdapter, setupPrimary } from '@socket.io/cluster-adapter';
import { InvalidArgumentError } from 'commander';
import {
  type Announcer,
  type ChatServerOptions,
  MemoryLimitsStore,
  type RunningChat,
  type SharedLimitsStore,
} from '../chat/index.js';
import { describeError, fail, type Logger } from './log.js';

/** More would only cost memory: each worker is a whole server with its own store connection. */
const MAX_WORKERS = 256;
/** How long the primary waits for its workers to close before it kills them. */
const STOP_GUARD_MS = 10_000;

/** How long a new worker waits for the primary to send the table that lists it. */
const PEERS_TIMEOUT_MS = 10_000;

/**
 * What a worker tells the primary (over the cluster's IPC channel): where it takes forwarded
 * requests, and later that it serves.
 */
type WorkerMessage =
  | { parley: 'peer'; nodeId: string; address: string }
  | { parley: 'ready'; banner: string }
  | { parley: 'announce'; channel: string; message: string }
  | LimitsRequest;

/** A worker's operation on the per-address limits the primary keeps for all (SharedLimitsStore). */
type LimitsRequest =
  | { parley: 'limits'; id: number; op: 'spend'; key: string; capacity: number; rate: number; units: number }
  | { parley: 'limits'; id: number; op: 'count'; key: string; node: string; count: number; ttlMs: number };

/** What the primary tells every worker: where each worker takes forwarded requests, by node id. */
interface PeersMessage {
  parley: 'peers';
  peers: Record<string, string>;
}

/** An announcement of one worker, relayed by the primary to the others. */
interface Announced {
  parley: 'announced';
  channel: string;
  message: string;
}

/** The primary's answer to one LimitsRequest. */
interface LimitsAnswer {
  parley: 'limits-answer';
  id: number;
  value: number;
}

/** How long a worker waits for the primary's answer about the limits (then it counts alone). */
const LIMITS_TIMEOUT_MS = 2000;

function parleyMessage(value: unknown): { parley?: unknown } | undefined {
  return typeof value === 'object' && value !== null ? (value as { parley?: unknown }) : undefined;
}

function isWorkerMessage(value: unknown): value is WorkerMessage {
  const kind = parleyMessage(value)?.parley;
  return kind === 'ready' || kind === 'peer' || kind === 'limits' || kind === 'announce';
}

function isLimitsAnswer(value: unknown): value is LimitsAnswer {
  return parleyMessage(value)?.parley === 'limits-answer';
}

function isAnnounced(value: unknown): value is Announced {
  return parleyMessage(value)?.parley === 'announced';
}

/**
 * A worker's view of the limits its primary keeps: each operation a message to the primary and
 * its answer back. An answer that does not come in time rejects, and the limits count alone
 * meanwhile, as they do when Redis is away. Announcements go through the primary to the others.
 */
class PrimaryLimitsStore implements SharedLimitsStore, Announcer {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (n: number) => void; timer: NodeJS.Timeout }>();
  private readonly listeners = new Map<string, Set<(message: string) => void>>();

  constructor() {
    process.on('message', (message: unknown) => {
      if (isAnnounced(message)) {
        for (const listener of this.listeners.get(message.channel) ?? []) listener(message.message);
        return;
      }
      if (!isLimitsAnswer(message)) return;
      const waiter = this.waiting.get(message.id);
      if (waiter === undefined) return;
      this.waiting.delete(message.id);
      clearTimeout(waiter.timer);
      waiter.resolve(message.value);
    });
  }

  spend(key: string, capacity: number, rate: number, units: number): Promise<number> {
    return this.ask((id) => ({ parley: 'limits', id, op: 'spend', key, capacity, rate, units }));
  }

  setCount(key: string, node: string, count: number, ttlMs: number): Promise<number> {
    return this.ask((id) => ({ parley: 'limits', id, op: 'count', key, node, count, ttlMs }));
  }

  publish(channel: string, message: string): Promise<void> {
    const announce: WorkerMessage = { parley: 'announce', channel, message };
    return new Promise((resolve, reject) => {
      process.send?.(announce, undefined, {}, (err: Error | null) => (err === null ? resolve() : reject(err)));
    });
  }

  subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    return Promise.resolve();
  }

  unsubscribe(channel: string, listener: (message: string) => void): Promise<void> {
    this.listeners.get(channel)?.delete(listener);
    return Promise.resolve();
  }

  private ask(request: (id: number) => LimitsRequest): Promise<number> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error('the primary did not answer'));
      }, LIMITS_TIMEOUT_MS);
      timer.unref();
      this.waiting.set(id, { resolve, timer });
      process.send?.(request(id), undefined, {}, (err: Error | null) => {
        if (err === null) return;
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(err);
      });
    });
  }
}

/**
 * Sends to a worker that may be exiting: its channel can close between the check and the write
 * (EPIPE), which is no error of the primary's: the worker is gone, its 'exit' handler cleans up.
 */
function sendTo(worker: Worker, message: PeersMessage | LimitsAnswer | Announced): void {
  if (!worker.isConnected()) return;
  worker.send(message, undefined, {}, () => undefined);
}

/** The primary's side: answers a worker's LimitsRequest from `store`. */
function answerLimits(worker: Worker, store: MemoryLimitsStore, request: LimitsRequest): void {
  const done =
    request.op === 'spend'
      ? store.spend(request.key, request.capacity, request.rate, request.units)
      : store.setCount(request.key, request.node, request.count, request.ttlMs);
  void done.then((value) => {
    const answer: LimitsAnswer = { parley: 'limits-answer', id: request.id, value };
    sendTo(worker, answer);
  });
}

function isPeersMessage(value: unknown): value is PeersMessage {
  return parleyMessage(value)?.parley === 'peers';
}

/** `--workers <n|auto>`: 0 and `auto` mean one per core. */
export function parseWorkers(value: string): number {
  if (value === 'auto' || value === '0') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new InvalidArgumentError(`workers must be auto, 0 (one per core) or an integer from 1 to ${MAX_WORKERS}`);
  }
  return n;
}

/**
 * How many workers `parley serve` runs when not told: one per core, but one with an in-memory
 * store (each worker would keep a history of its own).
 */
export function defaultWorkers(db: string): number {
  return db === ':memory:' ? 1 : availableParallelism();
}

/** Whether this process is the primary of `--workers n`, which forks instead of serving. */
export function isWorkersPrimary(workers: number): boolean {
  return workers > 1 && cluster.isPrimary;
}

/**
 * Runs the primary of `n` workers until a signal stops them. The first worker starts alone, so the
 * store's schema is created once before the others open it.
 */
export async function runPrimary(n: number, log: Logger, onRedis: boolean): Promise<void> {
  setupPrimary();
  let stopping = false;
  let banner = '';
  const ready = new Set<Worker>();
  /** The per-address limits of every worker (unless they share them in Redis). */
  const limits = new MemoryLimitsStore();
  /** Where each live worker takes forwarded requests, by its node id. */
  const peers = new Map<Worker, { nodeId: string; address: string }>();
  const sendPeers = (): void => {
    const message: PeersMessage = {
      parley: 'peers',
      peers: Object.fromEntries([...peers.values()].map((p) => [p.nodeId, p.address])),
    };
    for (const worker of peers.keys()) {
      sendTo(worker, message);
    }
  };

  const fork = (): Promise<void> =>
    new Promise((resolve) => {
      const worker = cluster.fork();
      // A send to a worker that is exiting fails (EPIPE) as an 'error' event: not the primary's end.
      worker.on('error', (err) => log.debug({ pid: worker.process.pid, err: describeError(err) }, 'worker channel error'));
      worker.on('message', (message: unknown) => {
        if (!isWorkerMessage(message)) return; // the cluster adapter's own messages
        if (message.parley === 'limits') {
          answerLimits(worker, limits, message);
          return;
        }
        if (message.parley === 'announce') {
          const relayed: Announced = { parley: 'announced', channel: message.channel, message: message.message };
          for (const other of peers.keys()) if (other !== worker) sendTo(other, relayed);
          return;
        }
        if (message.parley === 'peer') {
          peers.set(worker, { nodeId: message.nodeId, address: message.address });
          sendPeers();
          return;
        }
        banner = message.banner;
        ready.add(worker);
        resolve();
      });
      worker.once('exit', (code, signal) => {
        const wasReady = ready.delete(worker);
        // Its sessions are gone: their requests get 400 where they land, as on any unknown node.
        if (peers.delete(worker)) sendPeers();
        if (stopping) return;
        // A worker that never listened (a port taken, a bad --db) would fail again: give up.
        if (!wasReady) fail(`a worker could not start (exit ${code ?? signal}); see its error above`);
        log.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
        fork().catch(() => undefined);
      });
    });

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, workers: ready.size }, 'shutting down');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    let failed = false;
    const exits = workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          worker.once('exit', (code) => {
            if (code !== 0) failed = true;
            resolve();
          });
          worker.process.kill('SIGTERM');
        }),
    );
    const guard = setTimeout(() => {
      log.error('workers did not stop in time; killing them');
      for (const worker of workers) worker.process.kill('SIGKILL');
    }, STOP_GUARD_MS);
    void Promise.all(exits).then(() => {
      clearTimeout(guard);
      if (failed) fail('a worker did not close cleanly');
      log.info('stopped');
      process.exit(0);
    });
  };
  // Before any fork: a signal during startup still stops every worker.
  // `on`, not `once`: a second signal (Ctrl-C twice) must not end the primary before its workers.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  await fork();
  await Promise.all(Array.from({ length: n - 1 }, fork));
  const pids = [...ready].map((w) => w.process.pid).join(', ');
  console.log(banner);
  const sharing = onRedis ? 'rooms and limits in Redis' : 'cluster adapter, limits kept by the primary';
  console.log(`  workers:          ${n} (pids ${pids}), ${sharing}, long-polling forwarded between workers`);
}

/**
 * In a worker, before the chat starts: opens the private server where the other workers forward
 * the requests of this worker's sessions, tells the primary its address, and waits for the table
 * that lists it (so that no session of this worker exists before every worker can reach it).
 * The table is kept up to date as workers come and go. Without --redis the workers also share
 * rooms through @socket.io/cluster-adapter and the per-address limits through the primary.
 */
export async function workerOptions(
  given: Readonly<{ redis?: string | undefined }>,
): Promise<Pick<ChatServerOptions, 'forward' | 'peerListener' | 'sibling'>> {
  const worker = cluster.worker;
  if (worker === undefined || process.send === undefined) throw new Error('not a --workers worker');
  // What is not the engine's path: nobody but the other workers is expected here.
  const peerListener = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  // exclusive: a port of this worker's own, not one shared through the primary.
  peerListener.listen({ host: '127.0.0.1', port: 0, exclusive: true });
  await once(peerListener, 'listening');
  const { port } = peerListener.address() as AddressInfo;
  const nodeId = `w${worker.id}-${randomBytes(4).toString('hex')}`;
  let peers: Readonly<Record<string, string>> = {};
  const listed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the primary did not send the workers table')), PEERS_TIMEOUT_MS);
    process.on('message', (message: unknown) => {
      if (!isPeersMessage(message)) return;
      peers = message.peers;
      if (Object.hasOwn(peers, nodeId)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const message: WorkerMessage = { parley: 'peer', nodeId, address: `127.0.0.1:${port}` };
  process.send(message);
  await listed;
  return {
    forward: { nodeId, peers: (id) => (Object.hasOwn(peers, id) ? peers[id] : undefined) },
    peerListener,
    // With --redis, Redis spans the workers (and the other machines) and keeps the limits.
    ...(given.redis === undefined ? { sibling: siblingOptions() } : {}),
  };
}

/** What a worker shares with the others without Redis: the cluster adapter, the primary's limits. */
function siblingOptions(): NonNullable<ChatServerOptions['sibling']> {
  const primary = new PrimaryLimitsStore();
  return { adapter: createAdapter(), limits: primary, announcer: primary };
}

/**
 * In a worker, once the chat listens: each socket is told which worker serves it (`worker` event:
 * `{ pid, id }`, for operators and tests), and the worker stops when its primary is gone.
 */
export function joinCluster(chat: RunningChat, stop: () => void): void {
  const worker = cluster.worker;
  if (worker === undefined) return;
  const who = { pid: process.pid, id: worker.id };
  chat.io.on('connection', (socket) => {
    // Not one of the chat's events: typed out of its map on purpose.
    (socket.emit as (event: string, data: unknown) => boolean)('worker', who);
  });
  // The primary was killed: nobody forwards connections or adapter messages any more.
  worker.once('disconnect', () => {
    if (!worker.exitedAfterDisconnect) stop();
  });
}

/** In a worker: hands the banner to the primary, which prints it once for all. */
export function reportReady(banner: string): void {
  if (process.send === undefined) return;
  const message: WorkerMessage = { parley: 'ready', banner };
  process.send(message, undefined, {}, (err: Error | null) => {
    if (err) fail(`cannot reach the primary: ${describeError(err)}`);
  });
}

/** Whether this process is a `--workers` worker (it reports to its primary instead of printing). */
export function isWorker(): boolean {
  return cluster.isWorker;
}
