/**
 * The chat on several nodes: `--redis redis://...` plugs @socket.io/redis-adapter (classic
 * pub/sub), so broadcasts, rooms and fetchSockets span every node on the same Redis and key.
 *
 * Redis going away must not stop a node: both clients reconnect on their own (redis v4's
 * reconnect strategy, backing off up to `MAX_BACKOFF_MS`), every state change is logged, and a
 * broadcast published while the connection is down is reported as not delivered to the other
 * nodes (the adapter publishes fire-and-forget, so without this it would be lost silently).
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { type ClusterEvent, DEFAULT_REDIS_KEY, defaultReport } from './cluster-events.js';

export type { ClusterEvent } from './cluster-events.js';

/** Longest wait between two reconnection attempts. */
const MAX_BACKOFF_MS = 2000;

/** A chat node's link to the others. */
export interface ChatCluster {
  /** The adapter factory for `io.adapter(...)`. */
  readonly adapter: ReturnType<typeof createAdapter>;
  /** The publishing client (also used for shared counters). */
  readonly redis: ReturnType<typeof createClient>;
  /** The adapter's subscribing client (shared counters subscribe to their own channel on it too). */
  readonly subscriber: ReturnType<typeof createClient>;
  /** Broadcasts that could not be published since start. */
  readonly undelivered: () => number;
  close(): Promise<void>;
}

/** Options of `connectCluster`. */
export interface ClusterOptions {
  /** Channel prefix: nodes of one chat share it. @default 'parley-chat' */
  readonly key?: string;
  /** Receives every connection change and undelivered broadcast. Default: console.error / console.info. */
  readonly report?: (event: ClusterEvent) => void;
  /** How long to wait for Redis at start. @default 5000 */
  readonly connectTimeoutMs?: number;
}

/** How long a node waits at start for Redis before it gives up (a wrong URL, Redis down). */
const CONNECT_TIMEOUT_MS = 5000;

/** A Redis URL fit for a log line: without its user and password. */
function shownUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/)[^@/]*@/i, '$1');
}

/**
 * Connects the two Redis clients the adapter needs and returns its factory.
 * @throws Error when Redis cannot be reached at start (a configuration error, reported by the CLI).
 */
export async function connectCluster(url: string, options: ClusterOptions = {}): Promise<ChatCluster> {
  const given = options.report ?? defaultReport;
  let lastError: string | undefined;
  /** Set when the start is given up: what the clients say while they are torn down is noise. */
  let gaveUp = false;
  const report = (event: ClusterEvent): void => {
    if (gaveUp) return;
    if (event.kind === 'redis_error') lastError = event.message;
    given(event);
  };
  const make = (name: 'pub' | 'sub') => {
    const client = createClient({
      url,
      // Publishing while Redis is away fails at once instead of queueing without bound: what
      // other nodes miss is then reported (below) rather than piling up in memory.
      disableOfflineQueue: name === 'pub',
      socket: { reconnectStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, MAX_BACKOFF_MS) },
    });
    client.on('error', (err: unknown) =>
      report({
        kind: 'redis_error',
        client: name,
        message: err instanceof Error ? err.message : String(err),
      }),
    );
    client.on('reconnecting', () => report({ kind: 'redis_reconnecting', client: name }));
    client.on('ready', () => report({ kind: 'redis_ready', client: name }));
    return client;
  };
  const pub = make('pub');
  const sub = make('sub');
  let undelivered = 0;
  // The adapter calls `publish` without looking at the result: a failure (no connection, the
  // offline queue refused) is counted and logged here, so an operator knows what other nodes missed.
  const publish = pub.publish.bind(pub);
  // The failure is answered as "0 receivers": the adapter does not handle a rejection.
  (pub as { publish: typeof publish }).publish = ((channel: string, message: string | Buffer) =>
    publish(channel, message).catch((err: unknown) => {
      undelivered++;
      report({ kind: 'undelivered', channel, message: err instanceof Error ? err.message : String(err) });
      return 0;
    })) as typeof publish;
  // The clients retry for ever; a node that cannot reach Redis at start gives up instead, and says why.
  const connected = Promise.all([pub.connect(), sub.connect()]);
  const waitMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${waitMs} ms`)), waitMs);
  });
  try {
    await Promise.race([connected, deadline]);
  } catch (err) {
    const why = lastError ?? (err instanceof Error ? err.message : String(err));
    gaveUp = true;
    connected.catch(() => undefined);
    await Promise.allSettled([pub.disconnect(), sub.disconnect()]);
    throw new Error(`cannot reach Redis at ${shownUrl(url)}: ${why}`);
  } finally {
    clearTimeout(timer);
  }
  return {
    adapter: createAdapter(pub, sub, { key: options.key ?? DEFAULT_REDIS_KEY, requestsTimeout: 2000 }),
    redis: pub,
    subscriber: sub,
    undelivered: () => undelivered,
    async close() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
