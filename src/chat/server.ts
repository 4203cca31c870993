/**
 * The chat server: one HTTP server carrying the web page (GET /), the official Socket.IO browser
 * client, and the chat on the Socket.IO path, which plain WebSocket clients share.
 */
import { once } from 'node:events';
import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { AllowRequest, ForwardOptions } from '../engine/index.js';
import { type DefaultEventsMap, SERVER_DEFAULTS, Server } from '../socket/index.js';
import { OriginPolicy, originRequest } from './origin.js';
import { staticHandler } from './static.js';
import {
  attachChat,
  CHAT_LIMITS,
  type ChatClientEvents,
  type ChatServerEvents,
  type ChatSocketData,
} from './service.js';
// cluster.js (the Redis client and adapter) and postgres-store.js (pg) load only when used.
import type { ChatCluster } from './cluster.js';
import { type ClusterEvent, DEFAULT_REDIS_KEY, defaultReport } from './cluster-events.js';
import { defaultAdvertisedAddress, NodeDirectory } from './node-directory.js';
import { SharedBudget } from './shared-budget.js';
import { type Announcer, RedisLimitsStore, redisAnnouncer, type SharedLimitsStore } from './shared-store.js';
import { SharedConnections } from './shared-connections.js';
import { isPostgresUrl, type MessageStore } from './message-store.js';
import { ChatStore } from './store.js';

/** Options of the chat server; the CLI maps its flags and environment onto these. */
export interface ChatServerOptions {
  /** TCP port (0 picks a free one). @default 8000 */
  port: number;
  /** Interface to listen on. @default '0.0.0.0' */
  host: string;
  /** The Socket.IO path, shared by plain WebSocket clients. @default '/ws/chat/' */
  path: string;
  /**
   * SQLite file, ':memory:', or a `postgres://` URL: history in PostgreSQL, shared by every node
   * given the same URL (README: Several nodes). @default './data/chat.db'
   */
  db: string;
  /** Messages allowed per connection in `rateWindowMs`. @default 20 */
  rateLimit: number;
  /** The rate limit's window. @default 10000 */
  rateWindowMs: number;
  /** Heartbeat interval for both kinds of clients. @default 25000 */
  pingInterval: number;
  /** Heartbeat timeout for both kinds of clients. @default 20000 */
  pingTimeout: number;
  /**
   * Proxies in front of the server whose `X-Forwarded-*` headers are trusted: 0 reads the client
   * address from the TCP peer; n reads it from the n-th `X-Forwarded-For` entry from the right.
   * @default 0
   */
  trustProxy: number;
  /** Request budget units per connection per 10 s; a message costs 1 (README: Limits). @default 100 */
  budget: number;
  /** Request budget units shared by one client address's connections per 10 s. @default 300 */
  addressBudget: number;
  /** Rooms a connection may be in, the lobby included. @default 50 */
  maxRooms: number;
  /** Open connections per client address (IPv6: per /64 prefix). @default 50 */
  maxConnections: number;
  /** Most members a presence snapshot lists (the rest are counted). @default 100 */
  memberListLimit: number;
  /** How long presence changes in a room are gathered into one delta. @default 100 */
  presenceWindowMs: number;
  /**
   * Web pages (origins, `https://app.example`) allowed besides the server's own; `'*'` allows any.
   * A browser request from any other origin is refused with 403; one without `Origin` is accepted.
   * @default [] (same-origin only)
   */
  corsOrigins: readonly string[];
  /**
   * A `redis://` URL: the Socket.IO Redis adapter joins this node to every node on the same Redis
   * (broadcasts, presence); give them one `postgres://` db too (README: Several nodes).
   * @default undefined (one node)
   */
  redis?: string;
  /** The Redis channel prefix nodes of one chat share. @default 'parley-chat' */
  redisKey?: string;
  /**
   * With `redis`: this node's id in the cluster, the prefix of its session ids, 1-32 of
   * `A-Z a-z 0-9 _ -`. @default a random one
   */
  nodeId?: string;
  /**
   * With `redis`: where the other nodes reach this one (`host:port`), written to Redis so that
   * they forward this node's sessions' requests here (no sticky sessions).
   * @default host:port when host is one address, else this machine's first external IPv4 address
   */
  advertise?: string;
  /**
   * One of several processes on one machine (`--workers`), sharing without Redis: `adapter` spans
   * the processes (rooms, broadcasts, presence), and `limits` keeps the per-address budget and
   * connection cap for all of them (the primary's store). Ignored parts with `redis`: Redis does both.
   */
  sibling?: { adapter: unknown; limits: SharedLimitsStore; announcer: Announcer };
  /**
   * No sticky sessions (the engine's `forward` option: a polling request or upgrade for a session
   * of another node is passed to that node), given by the caller (`--workers`). With `redis` and
   * no `forward`, the nodes find each other in Redis (`nodeId`, `advertise`). @default undefined
   */
  forward?: ForwardOptions;
  /**
   * Where the other nodes send what they forward here, when that is not the public server (each
   * `--workers` worker has one on 127.0.0.1): the Socket.IO path is served there too, from before
   * the public server listens.
   */
  peerListener?: HttpServer;
  /**
   * Receives Redis connection changes, broadcasts other nodes missed, and what shared between the
   * nodes is degraded (the CLI logs them with pino). @default one line each on stderr
   */
  onClusterEvent?: (event: ClusterEvent) => void;
}

/** The chat server defaults, from the seed: port 8000, path /ws/chat/. */
export const CHAT_DEFAULTS: Readonly<ChatServerOptions> = Object.freeze({
  port: 8000,
  host: '0.0.0.0',
  path: '/ws/chat/',
  db: './data/chat.db',
  rateLimit: 20,
  rateWindowMs: 10_000,
  pingInterval: 25_000,
  pingTimeout: 20_000,
  trustProxy: 0,
  budget: CHAT_LIMITS.budget,
  addressBudget: CHAT_LIMITS.addressBudget,
  maxRooms: CHAT_LIMITS.maxRooms,
  maxConnections: CHAT_LIMITS.maxConnections,
  memberListLimit: CHAT_LIMITS.memberListLimit,
  presenceWindowMs: 100,
  corsOrigins: Object.freeze([]),
});

/** The chat's Socket.IO server, typed with the service's event maps. */
export type ChatServer = Server<ChatClientEvents, ChatServerEvents, DefaultEventsMap, ChatSocketData>;

/** A running chat server. */
export interface RunningChat {
  readonly io: ChatServer;
  readonly http: HttpServer;
  readonly store: MessageStore;
  readonly port: number;
  /** Base HTTP URL, e.g. http://localhost:8000 */
  readonly url: string;
  readonly options: Readonly<ChatServerOptions>;
  close(): Promise<void>;
}

/**
 * Decides whether a handshake (Engine.IO or plain WebSocket) may open a connection: undefined to
 * admit it, or the refusal's message (sent with 403). Checks run in order; the first refusal wins.
 */
export type AdmissionCheck = (req: IncomingMessage) => string | undefined;

/** One `allowRequest` hook running every admission check. */
function admitting(checks: readonly AdmissionCheck[]): AllowRequest {
  return (req, callback) => {
    for (const check of checks) {
      const refusal = check(req);
      if (refusal !== undefined) return callback(refusal, false);
    }
    callback(null, true);
  };
}

/** Opens the store, starts the HTTP server and serves the chat. */
export async function startChatServer(given: Partial<ChatServerOptions> = {}): Promise<RunningChat> {
  const options = { ...CHAT_DEFAULTS, ...given };
  const origins = OriginPolicy.of(options.corsOrigins, options.trustProxy);
  const cluster: ChatCluster | undefined =
    options.redis === undefined
      ? undefined
      : await (await import('./cluster.js')).connectCluster(options.redis, {
          ...(options.redisKey === undefined ? {} : { key: options.redisKey }),
          ...(options.onClusterEvent === undefined ? {} : { report: options.onClusterEvent }),
        });
  let store: MessageStore;
  try {
    store = isPostgresUrl(options.db)
      ? await (await import('./postgres-store.js')).PostgresStore.open(options.db)
      : ChatStore.open(options.db);
  } catch (err) {
    await cluster?.close();
    throw err;
  }
  // The page handler is installed first: the Socket.IO server routes its path and passes the rest on.
  const http = createServer(staticHandler(options.path));
  const checks: AdmissionCheck[] = [];
  // First: a page from a foreign origin is refused before any other check counts it.
  checks.push((req) => origins.refusal(originRequest(req)));
  // Several nodes on Redis, unless the caller forwards: each finds the others there (the
  // directory is set up once this node listens, when its address is known).
  const ownDirectory = cluster !== undefined && options.forward === undefined;
  let directory: NodeDirectory | undefined;
  const nodeId = options.nodeId ?? randomBytes(4).toString('hex');
  const forward: ForwardOptions | undefined = ownDirectory
    ? { nodeId, peers: (id: string) => directory?.lookup(id) }
    : options.forward;
  const io: ChatServer = new Server(http, {
    allowRequest: admitting(checks),
    // Polling answers carry Access-Control-Allow-Origin for the origins the policy allows only.
    cors: {
      origin: (origin, cb, req) => cb(null, origins.allows(origin, originRequest(req))),
      credentials: true,
    },
    path: options.path,
    plainWebSocket: true,
    pingInterval: options.pingInterval,
    pingTimeout: options.pingTimeout,
    ...(forward === undefined ? {} : { forward }),
  });
  if (options.peerListener !== undefined) io.engine.attach(options.peerListener);
  // The adapter is in place before any socket can join a room.
  const adapter = cluster?.adapter ?? options.sibling?.adapter;
  if (adapter !== undefined) io.adapter(adapter as never);
  const sharedLimits = cluster !== undefined ? new RedisLimitsStore(cluster.redis) : options.sibling?.limits;
  const announcer =
    cluster !== undefined ? redisAnnouncer(cluster.redis, cluster.subscriber) : options.sibling?.announcer;
  const key = options.redisKey ?? DEFAULT_REDIS_KEY;
  const onEvent = options.onClusterEvent ?? defaultReport;
  const report = (message: string) => onEvent({ kind: 'shared_degraded', message });
  const chat = attachChat(io.of('/'), {
    clustered: adapter !== undefined,
    ...(sharedLimits === undefined
      ? {}
      : {
          sharedBudget: new SharedBudget({ store: sharedLimits, key, capacity: options.addressBudget, report }),
          sharedConnections: new SharedConnections({
            store: sharedLimits,
            key,
            max: options.maxConnections,
            ...(announcer === undefined ? {} : { announcer }),
            report,
          }),
        }),
    store,
    limits: {
      budget: options.budget,
      addressBudget: options.addressBudget,
      messages: options.rateLimit,
      messageWindowMs: options.rateWindowMs,
      maxRooms: options.maxRooms,
      maxConnections: options.maxConnections,
      memberListLimit: options.memberListLimit,
    },
    presenceWindowMs: options.presenceWindowMs,
    trustProxy: options.trustProxy,
    connectTimeoutMs: SERVER_DEFAULTS.connectTimeout,
  });
  checks.push(chat.admit);
  http.listen(options.port, options.host);
  try {
    await once(http, 'listening');
  } catch (err) {
    await store.close();
    await cluster?.close();
    throw err;
  }
  const { port } = http.address() as AddressInfo;
  if (ownDirectory && cluster !== undefined) {
    directory = new NodeDirectory({
      redis: cluster.redis,
      key,
      nodeId,
      address: options.advertise ?? defaultAdvertisedAddress(options.host, port),
      report,
    });
    try {
      await directory.register();
    } catch (err) {
      await io.close();
      await store.close();
      await cluster.close();
      throw err;
    }
  }
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  return {
    io,
    http,
    store,
    port,
    url: `http://${shownHost}:${port}`,
    options,
    async close() {
      chat.detach();
      await directory?.close();
      await io.close();
      await store.close();
      await cluster?.close();
    },
  };
}
