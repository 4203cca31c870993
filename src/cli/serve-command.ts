/**
 * `parley serve` (the default command, `npm start`): the chat server.
 * Flags win over environment variables, which win over the defaults.
 */
import { Command, InvalidArgumentError } from 'commander';
import {
  CHAT_DEFAULTS,
  type ChatServerOptions,
  type ClusterEvent,
  describeCorsOrigins,
  parseCorsOrigin,
  parseCorsOriginList,
  startChatServer,
} from '../chat/index.js';
import { isNodeId } from '../engine/index.js';
import { describeError, fail, type Logger, logger } from './log.js';
import {
  defaultWorkers,
  isWorker,
  isWorkersPrimary,
  joinCluster,
  parseWorkers,
  reportReady,
  runPrimary,
  workerOptions,
} from './workers.js';

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

function socketPath(value: string): string {
  if (!value.startsWith('/')) throw new InvalidArgumentError('path must start with "/"');
  return value.endsWith('/') ? value : `${value}/`;
}

/** `--cors-origin`, repeatable: each value checked, collected in order. */
function corsOrigin(value: string, previous: string[] | undefined): string[] {
  try {
    return [...(previous ?? []), parseCorsOrigin(value)];
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

/** `--redis` / `CHAT_REDIS`: a redis:// or rediss:// URL. */
function redisUrl(value: string): string {
  if (!/^rediss?:\/\//i.test(value)) throw new InvalidArgumentError('redis must be a redis:// or rediss:// URL');
  return value;
}

/** `--node-id` / `CHAT_NODE_ID`: the prefix of this node's session ids. */
function nodeIdOf(value: string): string {
  if (!isNodeId(value)) {
    throw new InvalidArgumentError('node id must be 1 to 32 of A-Z a-z 0-9 _ -');
  }
  return value;
}

/** `--advertise` / `CHAT_ADVERTISE`: host:port ([v6]:port), as the other nodes reach this one. */
function advertisedAddress(value: string): string {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match === null || port < 1 || port > 65535) {
    throw new InvalidArgumentError('advertise must be host:port (an IPv6 host in brackets)');
  }
  return value;
}

/** `CHAT_CORS_ORIGIN`: comma-separated origins, each checked. */
function corsOriginList(value: string): string[] {
  try {
    return parseCorsOriginList(value);
  } catch (err) {
    throw new Error(`CHAT_CORS_ORIGIN: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function envOr<T>(name: string, parse: (v: string) => T, fallback: T): T {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : parse(raw);
}

/** The startup lines: where the chat is, and both ways to connect to it. */
export function startupBanner(url: string, path: string, corsOrigins: readonly string[] = []): string {
  const ws = url.replace(/^http/, 'ws');
  return [
    `parley chat listening on ${url}/`,
    `  web page:         ${url}/`,
    `  Socket.IO client: io("${url}", { path: "${path}" })`,
    `  plain WebSocket:  new WebSocket("${ws}${path}")`,
    `  origins:          ${describeCorsOrigins(corsOrigins)}`,
  ].join('\n');
}

/** The banner's line of limits, so an operator sees what a client may do (README: Limits). */
export function limitsLine(o: Readonly<ChatServerOptions>): string {
  const proxy =
    o.trustProxy > 0
      ? `; client address from X-Forwarded-For (${o.trustProxy} proxy hop${o.trustProxy > 1 ? 's' : ''})`
      : '';
  return (
    `  limits:           ${o.budget} units per connection and ${o.addressBudget} per address per 10 s, ` +
    `${o.rateLimit} messages per ${o.rateWindowMs / 1000} s, ${o.maxRooms} rooms per connection, ` +
    `${o.maxConnections} connections per address${proxy}`
  );
}

/**
 * Why the server could not start, as one line a user can act on: the listen errors a user causes
 * (a port taken, a privileged port) say what to do; anything else keeps its own message.
 */
export function startupFailure(err: unknown, port: number, host: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `port ${port} on ${host} is already in use: stop what listens there, or choose another port with --port (or PORT)`;
  }
  if (code === 'EACCES') {
    return `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges): choose another with --port (or PORT)`;
  }
  if (code === 'EADDRNOTAVAIL') {
    return `${host} is not an address of this machine: choose another interface with --host (or HOST)`;
  }
  return describeError(err);
}

/** The cluster's events as log events: what is lost or degraded as warnings, recoveries as info. */
function clusterLog(log: Logger): (event: ClusterEvent) => void {
  return (event) => {
    switch (event.kind) {
      case 'redis_ready':
        return log.info({ client: event.client }, 'redis connection ready');
      case 'redis_reconnecting':
        return log.warn({ client: event.client }, 'redis reconnecting');
      case 'redis_error':
        return log.warn({ client: event.client, error: event.message }, 'redis error');
      case 'undelivered':
        return log.warn({ channel: event.channel, error: event.message }, 'broadcast not delivered to the other nodes');
      case 'shared_degraded':
        return log.warn(event.message);
    }
  };
}

async function serve(flags: Partial<ChatServerOptions>, workersFlag?: number): Promise<void> {
  const log = logger();
  let options: ChatServerOptions;
  try {
    options = {
      ...CHAT_DEFAULTS,
      port: envOr('PORT', integer('PORT', 0, 65535), CHAT_DEFAULTS.port),
      host: envOr('HOST', String, CHAT_DEFAULTS.host),
      path: envOr('CHAT_PATH', socketPath, CHAT_DEFAULTS.path),
      db: envOr('CHAT_DB', String, CHAT_DEFAULTS.db),
      rateLimit: envOr('CHAT_RATE_LIMIT', integer('CHAT_RATE_LIMIT', 1, 1_000_000), CHAT_DEFAULTS.rateLimit),
      trustProxy: envOr('CHAT_TRUST_PROXY', integer('CHAT_TRUST_PROXY', 0, 16), CHAT_DEFAULTS.trustProxy),
      budget: envOr('CHAT_BUDGET', integer('CHAT_BUDGET', 1, 1_000_000), CHAT_DEFAULTS.budget),
      addressBudget: envOr(
        'CHAT_ADDRESS_BUDGET',
        integer('CHAT_ADDRESS_BUDGET', 1, 100_000_000),
        CHAT_DEFAULTS.addressBudget,
      ),
      maxRooms: envOr('CHAT_MAX_ROOMS', integer('CHAT_MAX_ROOMS', 1, 100_000), CHAT_DEFAULTS.maxRooms),
      maxConnections: envOr(
        'CHAT_MAX_CONNECTIONS',
        integer('CHAT_MAX_CONNECTIONS', 1, 1_000_000),
        CHAT_DEFAULTS.maxConnections,
      ),
      corsOrigins: envOr('CHAT_CORS_ORIGIN', corsOriginList, CHAT_DEFAULTS.corsOrigins),
      redis: envOr<string | undefined>('CHAT_REDIS', redisUrl, undefined),
      nodeId: envOr<string | undefined>('CHAT_NODE_ID', nodeIdOf, undefined),
      advertise: envOr<string | undefined>('CHAT_ADVERTISE', advertisedAddress, undefined),
      ...flags,
    };
    if (options.redis === undefined && (options.nodeId !== undefined || options.advertise !== undefined)) {
      throw new Error('--node-id and --advertise (CHAT_NODE_ID, CHAT_ADVERTISE) need --redis (CHAT_REDIS)');
    }
  } catch (err) {
    fail(`cannot start the chat server: ${describeError(err)}`);
  }
  let workers: number;
  try {
    workers = workersFlag ?? envOr('CHAT_WORKERS', parseWorkers, defaultWorkers(options.db));
  } catch (err) {
    fail(`cannot start the chat server: CHAT_WORKERS: ${describeError(err)}`);
  }
  options.onClusterEvent = clusterLog(log);
  // --workers: the primary forks and serves nothing; each worker runs the rest of this function.
  if (isWorkersPrimary(workers)) return runPrimary(workers, log, options.redis !== undefined);
  let chat: Awaited<ReturnType<typeof startChatServer>>;
  try {
    // A worker's polling sessions are reached through the others: see workers.ts.
    if (isWorker()) options = { ...options, ...(await workerOptions(options)) };
    chat = await startChatServer(options);
  } catch (err) {
    fail(`cannot start the chat server: ${startupFailure(err, options.port, options.host)}`);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // Ctrl-C reaches a --workers worker twice (from the terminal and from its primary): once is enough.
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    chat.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => fail(`the chat server did not close cleanly: ${describeError(err)}`),
    );
  };
  // Installed before the banner: whoever reads it may stop the server at once, and a signal that
  // came before its handler would end the process without closing the store.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  joinCluster(chat, () => stop('SIGTERM'));
  if (isWorker()) return reportReady(`${startupBanner(chat.url, chat.options.path, chat.options.corsOrigins)}\n${limitsLine(chat.options)}`);
  // The banner is the command's output (tests and people read it from stdout), not a log event.
  console.log(startupBanner(chat.url, chat.options.path, chat.options.corsOrigins));
  console.log(limitsLine(chat.options));
  // A PostgreSQL URL may carry a password: only the kind of store is logged for it.
  const db = chat.store.kind === 'postgres' ? 'postgres' : chat.options.db;
  log.debug({ db, port: chat.port, host: chat.options.host }, 'chat server started');
}

/** Shown after `parley serve --help`. */
const SERVE_EXAMPLES = `
Examples:
  $ parley                                   chat on http://localhost:8000/ (path /ws/chat/)
  $ parley serve --port 3000 --db :memory:   on port 3000, messages kept in memory only
  $ PORT=9000 CHAT_DB=/var/lib/parley/chat.db parley serve
  $ parley serve --cors-origin https://app.example --trust-proxy
  $ parley serve --redis redis://10.0.0.5:6379 --db postgres://chat@10.0.0.6/chat   one node of several
  $ parley serve --redis redis://10.0.0.5:6379 --advertise 10.0.0.1:8000 ...         reachable by the others at 10.0.0.1
  $ parley --log-level debug serve           more detail on stderr (LOG_LEVEL=debug too)
  $ parley serve --workers auto              one worker per core behind one port`;

/** The flags of `serve`, as commander parses them. */
interface ServeFlags {
  port?: number;
  host?: string;
  path?: string;
  db?: string;
  rateLimit?: number;
  /** `true` when the flag is given without a value. */
  trustProxy?: number | true;
  budget?: number;
  addressBudget?: number;
  maxRooms?: number;
  maxConnections?: number;
  /** Every `--cors-origin`, checked. */
  corsOrigin?: string[];
  /** `--workers`, resolved (auto and 0: one per core). */
  workers?: number;
  redis?: string;
  nodeId?: string;
  advertise?: string;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the chat server (the default)')
    .addHelpText('after', SERVE_EXAMPLES)
    .option(
      '--port <port>',
      `TCP port, 0 for any (env PORT, default ${CHAT_DEFAULTS.port})`,
      integer('port', 0, 65535),
    )
    .option('--host <host>', `interface to listen on (env HOST, default ${CHAT_DEFAULTS.host})`)
    .option('--path <path>', `Socket.IO path (env CHAT_PATH, default ${CHAT_DEFAULTS.path})`, socketPath)
    .option(
      '--db <file|url>',
      `SQLite file, :memory:, or postgres://... to share history between nodes (env CHAT_DB, default ${CHAT_DEFAULTS.db})`,
    )
    .option(
      '--rate-limit <n>',
      `messages per connection per 10 s (env CHAT_RATE_LIMIT, default ${CHAT_DEFAULTS.rateLimit})`,
      integer('rate limit', 1, 1_000_000),
    )
    .option(
      '--trust-proxy [hops]',
      'read the client address from X-Forwarded-For, set by this many proxies in front (env CHAT_TRUST_PROXY, default 0; 1 when given alone)',
      integer('trust proxy hops', 0, 16),
    )
    .option(
      '--budget <units>',
      `request budget per connection per 10 s; a message costs 1 (env CHAT_BUDGET, default ${CHAT_DEFAULTS.budget})`,
      integer('budget', 1, 1_000_000),
    )
    .option(
      '--address-budget <units>',
      `request budget shared by one client address per 10 s (env CHAT_ADDRESS_BUDGET, default ${CHAT_DEFAULTS.addressBudget})`,
      integer('address budget', 1, 100_000_000),
    )
    .option(
      '--max-rooms <n>',
      `rooms per connection, the lobby included (env CHAT_MAX_ROOMS, default ${CHAT_DEFAULTS.maxRooms})`,
      integer('max rooms', 1, 100_000),
    )
    .option(
      '--max-connections <n>',
      `open connections per client address, over every node and worker (env CHAT_MAX_CONNECTIONS, default ${CHAT_DEFAULTS.maxConnections})`,
      integer('max connections', 1, 1_000_000),
    )
    .option(
      '--cors-origin <origin>',
      'also accept browser pages from this origin (scheme://host[:port]), repeatable; * for any (env CHAT_CORS_ORIGIN, comma-separated; default: same-origin only)',
      corsOrigin,
    )
    .option(
      '--workers <n>',
      'node:cluster workers behind the one port, sharing rooms, limits and long-polling sessions; auto or 0: one per core (env CHAT_WORKERS, default: one per core, 1 with --db :memory:; npm start: 1)',
      parseWorkers,
    )
    .option(
      '--redis <url>',
      'join the other nodes on this Redis (Socket.IO Redis adapter; per-address budget and connection cap shared, no sticky sessions needed); pair with --db postgres://... (env CHAT_REDIS, default: one node)',
      redisUrl,
    )
    .option(
      '--node-id <id>',
      'with --redis: this node\'s id, the prefix of its session ids (env CHAT_NODE_ID, default: random)',
      nodeIdOf,
    )
    .option(
      '--advertise <host:port>',
      'with --redis: where the other nodes reach this one, to forward its long-polling sessions\' requests here (env CHAT_ADVERTISE, default: --host:port, or the first external IPv4 address)',
      advertisedAddress,
    )
    .action(async (flags: ServeFlags) => {
      const given: Partial<ChatServerOptions> = {};
      if (flags.port !== undefined) given.port = flags.port;
      if (flags.host !== undefined) given.host = flags.host;
      if (flags.path !== undefined) given.path = flags.path;
      if (flags.db !== undefined) given.db = flags.db;
      if (flags.rateLimit !== undefined) given.rateLimit = flags.rateLimit;
      if (flags.trustProxy !== undefined) given.trustProxy = flags.trustProxy === true ? 1 : flags.trustProxy;
      if (flags.budget !== undefined) given.budget = flags.budget;
      if (flags.addressBudget !== undefined) given.addressBudget = flags.addressBudget;
      if (flags.maxRooms !== undefined) given.maxRooms = flags.maxRooms;
      if (flags.maxConnections !== undefined) given.maxConnections = flags.maxConnections;
      if (flags.corsOrigin !== undefined) given.corsOrigins = flags.corsOrigin;
      if (flags.redis !== undefined) given.redis = flags.redis;
      if (flags.nodeId !== undefined) given.nodeId = flags.nodeId;
      if (flags.advertise !== undefined) given.advertise = flags.advertise;
      await serve(given, flags.workers);
    });
}
