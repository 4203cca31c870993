/**
 * What `npm run bench` knows: the servers, the scenarios (with their sizes, the metrics they
 * report, and which servers run them) and the targets. To add a scenario, add its spec
 * here and its load function in bench/scenarios/ (registered in bench/load.ts); to run it on one
 * server only, list that server in `servers`.
 */

export type Transport = 'websocket' | 'polling';

/**
 * What the load generator's websocket clients speak: Engine.IO v4 / Socket.IO v5, or parley's plain
 * WebSocket protocol (docs/native-websocket.md: JSON envelopes, ping control frames).
 */
export type ClientProtocol = 'socket.io' | 'plain';

export interface ServerSpec {
  name: string;
  /** argv run from the repo root (inside `sh -c 'ulimit -n ...; exec "$@"'`). */
  command: string[];
  transports: readonly Transport[];
  description: string;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /** Runs only when named with --server. */
  optIn?: boolean;
  /** What the generator's clients speak against it (default 'socket.io'). */
  clientProtocol?: ClientProtocol;
  /** The only scenarios it runs (default: every scenario on its transports). */
  scenarios?: readonly string[];
}

// The bench-contract servers run compiled by tsc to build/bench/ (`npm run bench` builds them
// first), as parley is deployed: through tsx, each would pay tsx's per-function wrappers, which
// socket.io's published JavaScript does not. The chat servers (variants) still run through tsx.
export const SERVERS: readonly ServerSpec[] = [
  {
    name: 'parley',
    // `npm run example:bench` builds and runs the same file.
    command: ['node', 'build/bench/examples/bench-server.js'],
    transports: ['websocket', 'polling'],
    description:
      'parley, `npm run example:bench` (examples/bench-server.ts compiled by tsc to build/bench/), default options (HTTP through node:http)',
  },
  {
    name: 'parley-ownhttp',
    command: ['node', 'build/bench/examples/bench-server.js'],
    env: { PARLEY_OWN_HTTP: '1' },
    transports: ['polling', 'websocket'],
    // Polling, and the handshakes of connect (the own path also reads the upgrade requests).
    scenarios: ['polling', 'connect'],
    description:
      'the same program with `ownHttp: true` (PARLEY_OWN_HTTP=1): the opt-in own HTTP/1.1 path answers the requests under the Socket.IO path; run for polling and connect',
  },
  {
    name: 'parley-plain',
    command: ['node', 'build/bench/examples/bench-server.js'],
    transports: ['websocket'],
    clientProtocol: 'plain',
    // The scenarios whose load functions have a plain variant.
    scenarios: ['fanout', 'echo'],
    description:
      'the same program, its clients plain WebSocket clients (the plain protocol of docs/native-websocket.md: an upgrade without EIO, JSON envelopes `{"event":...,"data":...}`, ping control frames) instead of Socket.IO ones; run for fanout and echo',
  },
  {
    name: 'socket.io',
    command: ['node', 'build/bench/bench/servers/socketio.js'],
    transports: ['websocket', 'polling'],
    description: 'official socket.io@4.8 server, default options (bench/servers/socketio.ts)',
  },
  {
    name: 'floor',
    command: ['node', 'build/bench/bench/servers/floor.js'],
    transports: ['websocket'],
    description:
      'websocket-only Socket.IO subset on `ws`; each broadcast framed once, the broadcasts of one event-loop iteration written to each socket in one write (bench/servers/floor.ts)',
  },
  {
    name: 'floor-polling',
    command: ['node', 'build/bench/bench/servers/floor-polling.js'],
    transports: ['polling'],
    description:
      'long-polling-only Socket.IO subset on node:http (open packet, held GET, POST payloads, `40`, `42` echo; no heartbeat, upgrade or CORS): what Node\'s HTTP server costs per polling message (bench/servers/floor-polling.ts)',
  },
  {
    name: 'floor-plain',
    command: ['node', 'build/bench/bench/servers/floor.js'],
    env: { FLOOR_COALESCE: '0' },
    transports: ['websocket'],
    description:
      'the floor without coalescing: each broadcast framed once and written to each socket at once',
    optIn: true,
  },
];

/** The server the ratios are taken against. */
export const REFERENCE = 'socket.io';

export interface MetricSpec {
  key: string;
  /** Column title; `{name}` is replaced by the scenario's parameter `name`. */
  label: string;
  /** Whether a bigger number is better (throughput) or worse (cost, latency). */
  better: 'higher' | 'lower';
  digits: number;
}

export type Params = Record<string, number>;

export interface ScenarioSpec {
  name: string;
  description: string;
  transport: Transport;
  full: Params;
  quick: Params;
  metrics: readonly MetricSpec[];
  /** Servers that run it (default: every server speaking its transport). */
  servers?: readonly string[];
  /**
   * Another program in a server's place for this scenario (same name, so ratios still compare
   * like with like), e.g. a chat service in place of the bench-contract server.
   */
  variants?: Readonly<Record<string, Pick<ServerSpec, 'command' | 'description'>>>;
  /** Set while the scenario cannot run yet; it is listed as pending in the output. */
  pending?: string;
}

const lost: MetricSpec = { key: 'lost', label: 'lost', better: 'lower', digits: 0 };

/** parley's chat service with its own default limits (connections per address uncapped: every bench client is on loopback). */
const CHAT_DEFAULT_LIMITS = {
  command: ['node', '--import', 'tsx', 'bench/servers/chat-parley.ts', '--default-limits'],
  description:
    "parley's chat service (bench/servers/chat-parley.ts --default-limits): the service's default budgets, message rate and room cap; connections per address uncapped",
};

export const SCENARIOS: readonly ScenarioSpec[] = [
  {
    name: 'fanout',
    description:
      'clients in room `bench`; ~100-byte JSON broadcasts, sender included, at most `window` broadcasts not yet fully delivered',
    transport: 'websocket',
    full: { clients: 1000, senders: 10, window: 8, warmupMs: 1000, durationMs: 5000 },
    quick: { clients: 200, senders: 4, window: 8, warmupMs: 300, durationMs: 1500 },
    metrics: [
      { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'higher', digits: 0 },
      { key: 'p50Ms', label: 'p50 ms', better: 'lower', digits: 2 },
      { key: 'p99Ms', label: 'p99 ms', better: 'lower', digits: 2 },
      { key: 'cpuSecPerMDeliveries', label: 'CPU s / M deliveries', better: 'lower', digits: 2 },
      lost,
    ],
  },
  {
    name: 'echo',
    description: 'clients with one `echo` ack round trip in flight each',
    transport: 'websocket',
    full: { clients: 50, warmupMs: 1000, durationMs: 5000 },
    quick: { clients: 20, warmupMs: 300, durationMs: 1500 },
    metrics: [
      { key: 'roundTripsPerSec', label: 'round trips/s', better: 'higher', digits: 0 },
      { key: 'p50Ms', label: 'p50 ms', better: 'lower', digits: 3 },
      { key: 'p99Ms', label: 'p99 ms', better: 'lower', digits: 3 },
      { key: 'cpuUsPerRoundTrip', label: 'CPU µs / round trip', better: 'lower', digits: 1 },
      lost,
    ],
  },
  {
    name: 'idle',
    description: 'RSS growth per idle websocket connection after a full GC, at two connection counts',
    transport: 'websocket',
    full: { small: 5000, large: 10000, inFlight: 200 },
    quick: { small: 1000, large: 2000, inFlight: 100 },
    metrics: [
      { key: 'baselineMB', label: 'baseline RSS MB', better: 'lower', digits: 1 },
      { key: 'kbPerConnSmall', label: 'KB / conn at {small}', better: 'lower', digits: 2 },
      { key: 'kbPerConnLarge', label: 'KB / conn at {large}', better: 'lower', digits: 2 },
      lost,
    ],
  },
  {
    name: 'connect',
    description: 'full handshakes (Engine.IO open + Socket.IO connect) over websocket, bounded in flight',
    transport: 'websocket',
    full: { total: 2000, inFlight: 50 },
    quick: { total: 500, inFlight: 50 },
    metrics: [
      { key: 'connectsPerSec', label: 'connects/s', better: 'higher', digits: 0 },
      { key: 'cpuUsPerConnect', label: 'CPU µs / connect', better: 'lower', digits: 1 },
      lost,
    ],
  },
  {
    name: 'polling',
    description:
      'long-polling clients: POST an `echo` event, the reply comes on the held GET; one in flight each',
    transport: 'polling',
    full: { clients: 200, warmupMs: 1000, durationMs: 5000 },
    quick: { clients: 50, warmupMs: 300, durationMs: 1500 },
    metrics: [
      { key: 'messagesPerSec', label: 'messages/s', better: 'higher', digits: 0 },
      { key: 'p50Ms', label: 'p50 ms', better: 'lower', digits: 2 },
      { key: 'p99Ms', label: 'p99 ms', better: 'lower', digits: 2 },
      { key: 'cpuUsPerMessage', label: 'CPU µs / message', better: 'lower', digits: 1 },
      lost,
    ],
  },
  {
    name: 'chat',
    description:
      "the chat service's path (validate, store in SQLite, broadcast to the room, ack) with all clients in room `lobby`; `senders` take turns sending ~100-character `message` events with an ack, at most `window` messages not yet acked and delivered to every client; `warmup` messages, then `messages` measured (sending stops after `maxMs`)",
    transport: 'websocket',
    full: { clients: 500, senders: 10, window: 8, warmup: 200, messages: 2000, maxMs: 25_000 },
    quick: { clients: 200, senders: 4, window: 8, warmup: 100, messages: 500, maxMs: 10_000 },
    metrics: [
      { key: 'messagesPerSec', label: 'messages/s', better: 'higher', digits: 0 },
      { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'higher', digits: 0 },
      { key: 'p50Ms', label: 'p50 ms', better: 'lower', digits: 2 },
      { key: 'p99Ms', label: 'p99 ms', better: 'lower', digits: 2 },
      { key: 'cpuUsPerMessage', label: 'CPU µs / message', better: 'lower', digits: 0 },
      { key: 'cpuUsPerDelivery', label: 'CPU µs / delivery', better: 'lower', digits: 2 },
      lost,
    ],
    servers: ['parley', 'socket.io'],
    variants: {
      parley: {
        command: ['node', '--import', 'tsx', 'bench/servers/chat-parley.ts'],
        description:
          "parley's chat service, `startChatServer` (src/chat/server.ts) at /ws/chat/, SQLite file in WAL mode (bench/servers/chat-parley.ts)",
      },
      'socket.io': {
        command: ['node', '--import', 'tsx', 'bench/servers/chat-socketio.ts'],
        description:
          "the same message path on socket.io@4.8 with parley's parseMessage, ChatStore and RateLimiter (bench/servers/chat-socketio.ts)",
      },
    },
  },
  {
    name: 'chat-crowd',
    description:
      'a crowd arriving: `clients` Socket.IO clients connect to the chat (`inFlight` handshakes at a time) and so join the lobby, then all ask to join room `crowd` at once; per phase, the bytes of every `presence` packet and of the member lists in join acks, over all clients, and the server CPU until every client counts all members',
    transport: 'websocket',
    full: { clients: 800, inFlight: 50 },
    quick: { clients: 300, inFlight: 50 },
    metrics: [
      { key: 'lobbyPresenceMB', label: 'connect: presence MB', better: 'lower', digits: 2 },
      { key: 'lobbyCpuSec', label: 'connect: CPU s', better: 'lower', digits: 2 },
      { key: 'lobbyEventsPerClient', label: 'connect: presence events / client', better: 'lower', digits: 1 },
      { key: 'joinPresenceMB', label: 'join: presence MB', better: 'lower', digits: 2 },
      { key: 'joinCpuSec', label: 'join: CPU s', better: 'lower', digits: 2 },
      { key: 'joinEventsPerClient', label: 'join: presence events / client', better: 'lower', digits: 1 },
      lost,
    ],
    servers: ['parley'],
    variants: { parley: CHAT_DEFAULT_LIMITS },
  },
  {
    name: 'chat-flood',
    description:
      '`flooders` clients (each its own loopback address) ask for full 100-row history pages as fast as they can (`window` in flight each) while a chatter from another address sends a `message` every `periodMs` for `durationMs`; default limits, `seed` 1000-character messages stored in the lobby',
    transport: 'websocket',
    full: { flooders: 3, window: 64, periodMs: 500, durationMs: 10_000 },
    quick: { flooders: 3, window: 64, periodMs: 500, durationMs: 4000 },
    metrics: [
      { key: 'chatterAckP50Ms', label: 'chatter ack p50 ms', better: 'lower', digits: 2 },
      { key: 'chatterAckP99Ms', label: 'chatter ack p99 ms', better: 'lower', digits: 2 },
      { key: 'chatterRefused', label: 'chatter refused', better: 'lower', digits: 0 },
      { key: 'floodRequestsPerSec', label: 'flood requests/s', better: 'lower', digits: 0 },
      { key: 'floodRefusedShare', label: 'flood refused share', better: 'higher', digits: 3 },
      { key: 'floodMBPerSec', label: 'flood MB/s answered', better: 'lower', digits: 2 },
      { key: 'cpuSec', label: 'server CPU s', better: 'lower', digits: 2 },
      lost,
    ],
    servers: ['parley'],
    variants: {
      parley: {
        command: [...CHAT_DEFAULT_LIMITS.command, '--seed', '300', '--seed-chars', '1000'],
        description: `${CHAT_DEFAULT_LIMITS.description}, 300 messages of 1000 characters stored in the lobby first`,
      },
    },
  },
  {
    name: 'chat-joins',
    description:
      'one client sends `warmup` then `attempts` `join` requests for distinct rooms (`window` in flight) against the default limits; server RSS after a full GC, growth over the attempts (after the warm-up: V8 grows its young generation to its working size under any load at this rate) and from the start',
    transport: 'websocket',
    full: { warmup: 20_000, attempts: 100_000, window: 256 },
    quick: { warmup: 10_000, attempts: 20_000, window: 256 },
    metrics: [
      { key: 'rssGrowthMB', label: 'RSS growth MB (after warm-up)', better: 'lower', digits: 1 },
      { key: 'rssGrowthFromStartMB', label: 'RSS growth MB (from start)', better: 'lower', digits: 1 },
      { key: 'attemptsPerSec', label: 'attempts/s', better: 'higher', digits: 0 },
      { key: 'accepted', label: 'accepted', better: 'lower', digits: 0 },
      lost,
    ],
    servers: ['parley'],
    variants: { parley: CHAT_DEFAULT_LIMITS },
  },
  {
    name: 'cluster-fanout',
    description:
      '3 nodes of one server, each its own process, on one redis-server (@socket.io/redis-adapter, classic pub/sub; bench/servers/cluster.ts starts both); `clients` spread over the nodes, all in room `bench`; `senders` spread the same way broadcast ~100-byte JSON payloads, sender included, at most `window` not yet delivered to every client of every node; CPU summed over the three nodes (redis-server not counted)',
    transport: 'websocket',
    full: { clients: 600, senders: 6, window: 8, warmupMs: 1000, durationMs: 5000 },
    quick: { clients: 150, senders: 3, window: 8, warmupMs: 300, durationMs: 1500 },
    metrics: [
      { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'higher', digits: 0 },
      { key: 'p50Ms', label: 'p50 ms', better: 'lower', digits: 2 },
      { key: 'p99Ms', label: 'p99 ms', better: 'lower', digits: 2 },
      { key: 'cpuSecPerMDeliveries', label: 'CPU s / M deliveries (3 nodes)', better: 'lower', digits: 2 },
      lost,
    ],
    servers: ['parley', 'socket.io'],
    variants: {
      parley: {
        command: ['node', 'build/bench/bench/servers/cluster.js', 'parley'],
        description:
          'redis-server and 3 parley nodes (bench/servers/cluster-node.ts parley: default options, the Redis adapter), compiled to build/bench/',
      },
      'socket.io': {
        command: ['node', 'build/bench/bench/servers/cluster.js', 'socket.io'],
        description:
          'redis-server and 3 socket.io@4.8 nodes (bench/servers/cluster-node.ts socket.io: default options, the same Redis adapter), compiled to build/bench/',
      },
    },
  },
  {
    name: 'no-sticky',
    description:
      'no session affinity: bench/servers/no-sticky.ts starts a redis-server, 3 nodes (bench/servers/cluster-node.ts, the Redis adapter; parley with `forward`) behind a round-robin TCP proxy (node:net, each new connection to the next node) and a baseline node of the same kind behind a proxy of its own; two groups of `clients` long-polling clients, every request a new TCP connection (`Connection: close`), one `echo` in flight each (POST, reply on the held GET), through the 3-node proxy (a request on a node that does not own its session is forwarded to the owner) and through the 1-node proxy (nothing to forward), in alternating turns (`turns` of `sliceMs` with every client busy, as many of `lightMs` with one client per group); CPU summed over each group\'s nodes; socket.io has no forwarding: its clients cannot connect through the 3-node proxy (400 "Session ID unknown"), so it reports the 400 share only',
    transport: 'polling',
    full: { clients: 50, warmupMs: 500, sliceMs: 1000, lightMs: 500, turns: 3 },
    quick: { clients: 20, warmupMs: 300, sliceMs: 500, lightMs: 300, turns: 2 },
    metrics: [
      { key: 'forwardMessagesPerSec', label: '3 nodes msg/s', better: 'higher', digits: 0 },
      { key: 'forwardP50Ms', label: '3 nodes p50 ms', better: 'lower', digits: 2 },
      { key: 'forwardP99Ms', label: '3 nodes p99 ms', better: 'lower', digits: 2 },
      { key: 'baselineMessagesPerSec', label: '1 node msg/s', better: 'higher', digits: 0 },
      { key: 'baselineP50Ms', label: '1 node p50 ms', better: 'lower', digits: 2 },
      { key: 'baselineP99Ms', label: '1 node p99 ms', better: 'lower', digits: 2 },
      { key: 'addedP50Ms', label: 'added p50 ms', better: 'lower', digits: 2 },
      { key: 'forwardLightP50Ms', label: '1 client: 3 nodes p50 ms', better: 'lower', digits: 2 },
      { key: 'baselineLightP50Ms', label: '1 client: 1 node p50 ms', better: 'lower', digits: 2 },
      { key: 'addedLightP50Ms', label: '1 client: added p50 ms', better: 'lower', digits: 2 },
      { key: 'throughputRatio', label: 'msg/s 3 nodes / 1 node', better: 'higher', digits: 2 },
      { key: 'forwardCpuUsPerMessage', label: '3 nodes CPU µs / msg', better: 'lower', digits: 0 },
      { key: 'baselineCpuUsPerMessage', label: '1 node CPU µs / msg', better: 'lower', digits: 0 },
      { key: 'misroutedShare', label: 'requests on a non-owner', better: 'lower', digits: 3 },
      { key: 'refusedShare', label: '400 share (3 nodes)', better: 'lower', digits: 3 },
      lost,
    ],
    servers: ['parley', 'socket.io'],
    variants: {
      parley: {
        command: ['node', 'build/bench/bench/servers/no-sticky.js', 'parley'],
        description:
          'redis-server, 3 parley nodes with `forward` (ids n0-n2, a static peer list) and the Redis adapter behind the round-robin proxy, a baseline parley node the same way behind its own (bench/servers/no-sticky.ts), compiled to build/bench/',
      },
      'socket.io': {
        command: ['node', 'build/bench/bench/servers/no-sticky.js', 'socket.io'],
        description:
          'the same with socket.io@4.8 nodes (default options, the same Redis adapter; no forwarding)',
      },
    },
  },
  {
    name: 'gateway',
    description:
      "`clients` plain WebSocket clients each send an `echo` event with an ack every `periodMs`, straight to parley and through `parley gateway` (bench/servers/gateway.ts, its own process, started by the scenario) in front of the same server, the two groups sending in turns of `sliceMs` for `durationMs` each: p50 both ways and the difference (what the gateway adds), the gateway's RSS per bridged client after a full GC, its CPU per bridged message (event up or ack down)",
    transport: 'websocket',
    full: { clients: 1000, periodMs: 1000, sliceMs: 2000, durationMs: 12_000 },
    quick: { clients: 1000, periodMs: 1000, sliceMs: 1000, durationMs: 4000 },
    metrics: [
      { key: 'directP50Ms', label: 'direct p50 ms', better: 'lower', digits: 3 },
      { key: 'gatewayP50Ms', label: 'via gateway p50 ms', better: 'lower', digits: 3 },
      { key: 'addedP50Ms', label: 'added p50 ms', better: 'lower', digits: 3 },
      { key: 'gatewayP99Ms', label: 'via gateway p99 ms', better: 'lower', digits: 3 },
      { key: 'gatewayKbPerClient', label: 'gateway KB / bridged client', better: 'lower', digits: 1 },
      { key: 'gatewayCpuUsPerMessage', label: 'gateway CPU µs / bridged message', better: 'lower', digits: 1 },
      { key: 'roundTripsPerSec', label: 'round trips/s', better: 'higher', digits: 0 },
      lost,
    ],
    servers: ['parley'],
  },
];

export interface Target {
  scenario: string;
  metric: string;
  /** Which server's median is held to the bound. */
  server: string;
  /**
   * The server whose median (same run) the ratio is taken against; absent: the median itself is
   * held to `max` (an absolute bound, in the metric's unit).
   */
  against?: string;
  /** The bound on the ratio (or the figure); absent: the figure is reported, held to no bound. */
  max?: number;
  /** `{name}` is replaced by the scenario's parameter `name`. */
  text: string;
}

export const TARGETS: readonly Target[] = [
  {
    scenario: 'gateway',
    metric: 'addedP50Ms',
    server: 'parley',
    max: 1,
    text: '{clients} plain clients through `parley gateway`, one message each per {periodMs} ms: latency added p50 <= 1 ms',
  },
  {
    scenario: 'chat-crowd',
    metric: 'lobbyPresenceMB',
    server: 'parley',
    max: 30,
    text: '{clients} clients arriving in the lobby: presence traffic < 30 MB',
  },
  {
    scenario: 'chat-crowd',
    metric: 'lobbyCpuSec',
    server: 'parley',
    max: 2,
    text: '{clients} clients arriving in the lobby: server CPU < 2 s',
  },
  {
    scenario: 'chat-crowd',
    metric: 'joinPresenceMB',
    server: 'parley',
    max: 30,
    text: '{clients} clients joining room crowd at once: presence traffic < 30 MB',
  },
  {
    scenario: 'chat-crowd',
    metric: 'joinCpuSec',
    server: 'parley',
    max: 2,
    text: '{clients} clients joining room crowd at once: server CPU < 2 s',
  },
  {
    scenario: 'chat-flood',
    metric: 'chatterAckP50Ms',
    server: 'parley',
    max: 20,
    text: '{flooders} clients flooding history: another client\'s message ack p50 < 20 ms',
  },
  {
    scenario: 'chat-joins',
    metric: 'rssGrowthMB',
    server: 'parley',
    max: 20,
    text: '{attempts} join attempts from one connection: RSS growth < 20 MB (after a warm-up of {warmup})',
  },
  {
    scenario: 'fanout',
    metric: 'cpuSecPerMDeliveries',
    server: 'parley',
    against: 'socket.io',
    max: 0.4,
    text: 'fanout CPU per delivery <= 0.40x socket.io',
  },
  {
    scenario: 'fanout',
    metric: 'cpuSecPerMDeliveries',
    server: 'parley',
    against: 'floor',
    max: 1.3,
    text: 'fanout CPU per delivery within 1.3x of the floor',
  },
  {
    scenario: 'fanout',
    metric: 'cpuSecPerMDeliveries',
    server: 'parley-plain',
    against: 'parley',
    max: 1.2,
    text: 'fanout CPU per delivery, plain WebSocket clients, within 1.2x of Socket.IO clients on parley',
  },
  {
    scenario: 'cluster-fanout',
    metric: 'cpuSecPerMDeliveries',
    server: 'parley',
    against: 'socket.io',
    max: 0.5,
    text: 'cluster-fanout (3 nodes on one Redis) CPU per delivery summed over the nodes <= 0.50x socket.io',
  },
  {
    scenario: 'no-sticky',
    metric: 'refusedShare',
    server: 'parley',
    max: 0,
    text: 'no-sticky: no request answered 400 through the round-robin proxy over 3 nodes (`forward`)',
  },
  {
    scenario: 'no-sticky',
    metric: 'refusedShare',
    server: 'socket.io',
    text: 'no-sticky: share of answers 400 through the round-robin proxy over 3 nodes (no forwarding)',
  },
  {
    scenario: 'no-sticky',
    metric: 'addedLightP50Ms',
    server: 'parley',
    text: 'no-sticky: round-trip p50 forwarding adds, one client (3 nodes round-robin - 1 node), ms',
  },
  {
    scenario: 'no-sticky',
    metric: 'addedP50Ms',
    server: 'parley',
    text: 'no-sticky: round-trip p50 forwarding adds, {clients} clients busy (3 nodes round-robin - 1 node), ms',
  },
  {
    scenario: 'no-sticky',
    metric: 'throughputRatio',
    server: 'parley',
    text: 'no-sticky: messages/s through 3 forwarding nodes / through 1 node, {clients} clients each',
  },
  {
    scenario: 'echo',
    metric: 'cpuUsPerRoundTrip',
    server: 'parley',
    against: 'socket.io',
    max: 0.7,
    text: 'echo CPU per round trip <= 0.70x socket.io',
  },
  {
    scenario: 'echo',
    metric: 'cpuUsPerRoundTrip',
    server: 'parley-plain',
    against: 'parley',
    text: 'echo CPU per round trip, plain WebSocket clients, against Socket.IO clients on parley',
  },
  {
    scenario: 'idle',
    metric: 'kbPerConnLarge',
    server: 'parley',
    against: 'socket.io',
    max: 0.55,
    text: 'idle RSS per connection at {large} <= 0.55x socket.io',
  },
  {
    scenario: 'connect',
    metric: 'cpuUsPerConnect',
    server: 'parley',
    against: 'socket.io',
    max: 0.6,
    text: 'connect CPU per connect <= 0.60x socket.io',
  },
  {
    scenario: 'connect',
    metric: 'cpuUsPerConnect',
    server: 'parley-ownhttp',
    against: 'socket.io',
    text: 'connect CPU per connect, ownHttp: true (the upgrade read by the own HTTP path)',
  },
  {
    // Polling-heavy deployments opt in to the own HTTP path; the target holds for that path.
    scenario: 'polling',
    metric: 'cpuUsPerMessage',
    server: 'parley-ownhttp',
    against: 'socket.io',
    max: 0.7,
    text: 'polling CPU per message <= 0.70x socket.io (ownHttp: true)',
  },
  {
    scenario: 'polling',
    metric: 'cpuUsPerMessage',
    server: 'parley',
    against: 'socket.io',
    text: 'polling CPU per message, default options (node:http)',
  },
];

/** The servers that run `scenario`, among `servers`, with the scenario's variants in place. */
export function serversFor(scenario: ScenarioSpec, servers: readonly ServerSpec[]): ServerSpec[] {
  if (scenario.pending !== undefined) return [];
  return servers
    .filter(
      (s) =>
        s.transports.includes(scenario.transport) &&
        (scenario.servers === undefined || scenario.servers.includes(s.name)) &&
        (s.scenarios === undefined || s.scenarios.includes(scenario.name)),
    )
    .map((s) => {
      const variant = scenario.variants?.[s.name];
      return variant === undefined ? s : { ...s, ...variant };
    });
}

/** `text` with each `{name}` replaced by `params[name]` (thousands separated). */
export function withParams(text: string, params: Params): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : v.toLocaleString('en-US');
  });
}
