/**
 * `parley gateway`: plain WebSocket clients (and Socket.IO clients) in front, one upstream
 * Socket.IO session per client behind. The gateway is a parley Server with `plainWebSocket: true`:
 * parley already turns a plain client into an ordinary socket (events, acks, binary), so bridging is
 * forwarding between that socket and an upstream connection:
 *
 *   client socket ── onAny ──────────▶ upstream.emit (ack passed through)
 *   client socket ◀── socket.emit ──── upstream onAny (ack passed through)
 *
 * A namespace middleware opens the upstream session with the client's forwarded handshake and lets
 * the client in once it connects, so an upstream refusal (CONNECT_ERROR) reaches the client as its
 * own refusal, and the client's frames sent meanwhile are held by parley (up to 100).
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AnySocket, type ConnectError, type Namespace, Server } from '../socket/index.js';
import { GATEWAY_ERROR_FATAL, type GatewayErrorCode, type GatewayErrorFrame, UPSTREAM_CLOSE_CODE } from './errors.js';
import { forwardedHandshake } from './handshake.js';
import { type GatewayOptions, type ResolvedGatewayOptions, resolveGatewayOptions } from './options.js';
import type { AckCallback, Upstream, UpstreamConnectError, UpstreamFactory } from './upstream.js';
import { clientUpstream } from './upstream-client.js';

/**
 * Where a bridge is:
 * - `connecting`: the upstream session is being opened (the client waits in the middleware);
 * - `open`: both sides connected, events flow;
 * - `reconnecting`: the upstream dropped; the client's events are buffered (bounded);
 * - `closed`: either side ended it.
 */
export type BridgeState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The first outcome of an upstream session. */
type Opened = { readonly kind: 'connected' } | UpstreamConnectError;

/** An event waiting to go one way or the other. */
interface Waiting {
  readonly event: string;
  readonly args: unknown[];
  readonly ack: AckCallback | undefined;
}

/** What the gateway counts, for its operator and the benchmark. */
export interface GatewayStats {
  /** Clients bridged now (upstream connected or reconnecting). */
  bridges: number;
  /** Bridges whose upstream is reconnecting now. */
  reconnecting: number;
  /** Events forwarded client → upstream and upstream → client, acks included. */
  forwarded: number;
  /** Events dropped because a buffer was full. */
  dropped: number;
  /** Upstream reconnections that succeeded. */
  reconnections: number;
}

/** One client and its upstream session. */
class Bridge {
  private stateValue: BridgeState = 'connecting';
  /** Resolves with the upstream's first connect or connect error. */
  readonly opened: Promise<Opened>;
  private socket: AnySocket | undefined;
  /** Client events waiting for the upstream to reconnect. */
  private readonly toUpstream: Waiting[] = [];
  /** Upstream events that came before the client's socket was connected (e.g. a greeting). */
  private toClient: Waiting[] | undefined = [];
  private settle: ((outcome: Opened) => void) | undefined;

  constructor(
    private readonly upstream: Upstream,
    private readonly options: ResolvedGatewayOptions,
    private readonly stats: GatewayStats,
    private readonly onClosed: (bridge: Bridge) => void,
  ) {
    this.opened = new Promise((resolve) => {
      this.settle = resolve;
    });
    upstream.onAny((event, args, ack) => this.fromUpstream({ event, args, ack }));
    upstream.on('connect', () => this.upstreamConnected());
    upstream.on('connect_error', (error) => {
      if (this.settle !== undefined) {
        this.resolveOpened(error);
        return;
      }
      // A failed reconnection attempt: the next one follows, unless the server itself said no
      // (socket.io-client does not try again after a CONNECT_ERROR).
      if (error.kind === 'refused')
        this.fail('upstream_lost', `the upstream server refused the reconnection: ${error.message}`);
    });
    upstream.on('disconnect', (kind) => {
      if (this.state === 'closed') return;
      if (kind === 'server') {
        // The upstream server disconnected this client: so does the gateway, as the server would.
        this.socket?.disconnect();
        this.close();
      } else if (kind === 'transport') {
        this.setState('reconnecting');
      }
    });
    upstream.on('reconnect', () => {
      this.stats.reconnections++;
    });
    upstream.on('reconnect_failed', () =>
      this.fail('upstream_lost', 'the upstream server could not be reached again'),
    );
  }

  get state(): BridgeState {
    return this.stateValue;
  }

  /** Moves to `next`, keeping the count of reconnecting bridges. */
  private setState(next: BridgeState): void {
    if (this.stateValue === 'reconnecting') this.stats.reconnecting--;
    if (next === 'reconnecting') this.stats.reconnecting++;
    this.stateValue = next;
  }

  /** The client's socket is connected: events flow from now on. */
  attach(socket: AnySocket): void {
    if (this.state === 'closed') {
      socket.disconnect();
      return;
    }
    this.socket = socket;
    socket.onAny((event: string, ...args: unknown[]) => {
      const last = args[args.length - 1];
      const ack = typeof last === 'function' ? (args.pop() as AckCallback) : undefined;
      this.fromClient({ event, args, ack });
    });
    socket.on('disconnect', () => this.close());
    const early = this.toClient ?? [];
    this.toClient = undefined;
    for (const waiting of early) this.deliver(waiting);
  }

  /** Ends the bridge: the upstream session is closed, buffers are dropped. */
  close(): void {
    if (this.state === 'closed') return;
    this.setState('closed');
    this.toUpstream.length = 0;
    this.toClient = undefined;
    this.upstream.close();
    this.resolveOpened({ kind: 'unreachable', message: 'the client left' });
    this.onClosed(this);
  }

  /** A fatal error: the client is told, then its connection closes with 1011. */
  fail(code: GatewayErrorCode, message: string): void {
    const socket = this.socket;
    this.close();
    if (socket === undefined || !socket.connected) return;
    sendError(socket, code, message);
    if (GATEWAY_ERROR_FATAL[code]) socket.conn.close(UPSTREAM_CLOSE_CODE, message);
  }

  private resolveOpened(outcome: Opened): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.(outcome);
  }

  private upstreamConnected(): void {
    if (this.state === 'closed') return;
    this.setState('open');
    this.resolveOpened({ kind: 'connected' });
    // In the order the client sent them; the buffer empties before any later event is sent.
    const waiting = this.toUpstream.splice(0);
    for (const item of waiting) this.send(item);
  }

  private fromClient(item: Waiting): void {
    if (this.state === 'open' && this.upstream.connected) {
      this.send(item);
      return;
    }
    if (this.state === 'closed') return;
    if (this.toUpstream.length >= this.options.maxBufferedMessages) {
      this.stats.dropped++;
      if (this.socket)
        sendError(
          this.socket,
          'upstream_buffer_full',
          `the upstream server is reconnecting and ${this.options.maxBufferedMessages} messages already wait: "${item.event}" was dropped`,
        );
      return;
    }
    this.toUpstream.push(item);
  }

  private send(item: Waiting): void {
    this.stats.forwarded++;
    const ack = item.ack;
    if (ack === undefined) {
      this.upstream.emit(item.event, item.args);
      return;
    }
    const timeoutMs = this.options.ackTimeoutMs;
    this.upstream.emit(item.event, item.args, {
      timeoutMs,
      onAnswer: (...answer) => {
        this.stats.forwarded++;
        ack(...answer);
      },
      onTimeout: () => {
        if (this.socket?.connected)
          sendError(
            this.socket,
            'upstream_ack_timeout',
            `the upstream server did not answer "${item.event}" within ${timeoutMs} ms`,
          );
      },
    });
  }

  private fromUpstream(item: Waiting): void {
    if (this.state === 'closed') return;
    const early = this.toClient;
    if (early === undefined) {
      this.deliver(item);
    } else if (early.length < this.options.maxBufferedMessages) {
      early.push(item);
    } else {
      this.stats.dropped++;
    }
  }

  private deliver(item: Waiting): void {
    const socket = this.socket;
    if (socket === undefined || !socket.connected) return;
    this.stats.forwarded++;
    const emit = socket.emit as (event: string, ...args: unknown[]) => boolean;
    const ack = item.ack;
    try {
      if (ack === undefined) {
        emit.call(socket, item.event, ...item.args);
      } else {
        const timed = socket.timeout(this.options.ackTimeoutMs);
        (timed.emit as (event: string, ...args: unknown[]) => boolean).call(
          timed,
          item.event,
          ...item.args,
          (err: Error | null, ...answer: unknown[]) => {
            // No answer from the client in time: the upstream's own ack timeout, if any, tells it.
            if (err) return;
            this.stats.forwarded++;
            ack(...answer);
          },
        );
      }
    } catch (err) {
      // A reserved name or an unencodable payload (circular, too deep): this event cannot reach
      // the client; the others still do.
      console.error(
        `parley gateway: upstream event "${item.event}" not forwarded: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}

function sendError(socket: AnySocket, code: GatewayErrorCode, message: string): void {
  const frame: GatewayErrorFrame = { code, message };
  (socket.emit as (event: string, ...args: unknown[]) => boolean).call(socket, 'error', frame);
}

/** A running gateway. */
export interface Gateway {
  /** The gateway's own parley Server. */
  readonly io: Server;
  readonly httpServer: HttpServer;
  readonly options: ResolvedGatewayOptions;
  /** The port listened on. */
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** What was bridged so far (live counters). */
  readonly stats: Readonly<GatewayStats>;
  /** Closes every bridge and the server. */
  close(): Promise<void>;
}

/**
 * Starts a gateway: a parley Server (plain WebSocket clients accepted) on `host:port` and
 * `listenPath`, bridging each client to its own session on the upstream server.
 * @throws Error on invalid options; rejects when the port cannot be listened on.
 */
export async function startGateway(
  given: Partial<GatewayOptions> & Pick<GatewayOptions, 'upstream'>,
): Promise<Gateway> {
  const options = resolveGatewayOptions(given);
  const connect: UpstreamFactory = options.connectUpstream ?? clientUpstream;
  const stats: GatewayStats = { bridges: 0, reconnecting: 0, forwarded: 0, dropped: 0, reconnections: 0 };
  const bridges = new Set<Bridge>();
  const bridgeOf = new WeakMap<AnySocket, Bridge>();
  /** Clients let in only to be told that the upstream cannot be reached, with why. */
  const unreachable = new WeakMap<AnySocket, string>();
  const httpServer = createServer();
  const io = new Server(httpServer, {
    plainWebSocket: true,
    ...options.server,
    path: options.listenPath,
  });

  const forward = (nsp: Namespace): void => {
    nsp.use((socket, next) => {
      const handshake = forwardedHandshake(socket.handshake, options);
      const upstream = connect({
        url: options.upstream,
        path: options.path,
        namespace: socket.nsp.name,
        ...handshake,
        reconnection: true,
        reconnectionDelay: options.reconnectionDelayMs,
        reconnectionDelayMax: options.reconnectionDelayMaxMs,
        reconnectionAttempts: options.reconnectionAttempts,
        connectTimeout: options.connectTimeoutMs,
        transports: options.upstreamTransports,
      });
      const bridge = new Bridge(upstream, options, stats, (closed) => {
        if (bridges.delete(closed)) stats.bridges = bridges.size;
      });
      bridges.add(bridge);
      stats.bridges = bridges.size;
      // The client may leave while the upstream session opens.
      const onConnClose = () => bridge.close();
      socket.conn.on('close', onConnClose);
      socket.on('disconnect', () => socket.conn.off('close', onConnClose));
      void bridge.opened.then((outcome) => {
        if (outcome.kind === 'refused') {
          // The upstream server's refusal becomes the gateway's: same message, same data.
          socket.conn.off('close', onConnClose);
          bridge.close();
          const err: ConnectError = new Error(outcome.message);
          if (outcome.data !== undefined) err.data = outcome.data;
          next(err);
          return;
        }
        bridgeOf.set(socket, bridge);
        if (outcome.kind === 'unreachable') {
          // Let the client in to tell it why with an error frame, then close it with 1011: a refusal
          // (connect_error, close 1008) would say the client was not allowed, which is not the case.
          bridge.close();
          unreachable.set(socket, outcome.message);
        }
        next();
      });
    });
    nsp.on('connection', (socket: AnySocket) => {
      const bridge = bridgeOf.get(socket);
      bridgeOf.delete(socket);
      const reason = unreachable.get(socket);
      if (reason !== undefined) {
        unreachable.delete(socket);
        sendError(socket, 'upstream_unreachable', `the upstream server cannot be reached: ${reason}`);
        socket.conn.close(UPSTREAM_CLOSE_CODE, 'upstream unreachable');
        return;
      }
      bridge?.attach(socket);
    });
  };
  forward(io.sockets as unknown as Namespace);
  forward(io.of(/^\/.+/) as unknown as Namespace);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    io,
    httpServer,
    options,
    port,
    url: `http://${host}:${port}`,
    stats,
    async close() {
      for (const bridge of [...bridges]) bridge.close();
      await io.close();
    },
  };
}
