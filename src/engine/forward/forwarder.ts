/**
 * No sticky sessions: a polling request or a WebSocket upgrade for a session another node owns is
 * passed to that node and its answer passed back, so that a load balancer may send any request to
 * any node. The owner is read from the session id itself (`<nodeId>.<random>`, see ownId): no
 * lookup per request, no shared table. One hop at most: a forwarded request carries HOP_HEADER,
 * and a node never forwards a request that has it.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type EngineError, writeUpgradeError } from '../errors.js';
import { type HttpExchange, NodeExchange, type RequestSource, refuse } from '../http/exchange.js';
import type { RequestTarget } from '../request.js';

/** The header a forwarded request carries: the id of the node that forwarded it. */
export const HOP_HEADER = 'x-parley-forwarded-by';

/** What a node needs to pass requests for foreign sessions to their owners. */
export interface ForwardOptions {
  /**
   * This node's id, the prefix of every session id it makes (`<nodeId>.<random>`): 1-32 of
   * `A-Z a-z 0-9 _ -`. Unique in the cluster.
   */
  nodeId: string;
  /**
   * Where each node's HTTP server listens (`host:port`, reachable from the other nodes), by node
   * id: an object, or a function (both read at each forward, so a list kept up to date by the
   * application, e.g. from Redis, works). The function may answer with a promise (a lookup in a
   * shared directory): the request waits for it, paused. A node missing here cannot be reached:
   * its sessions get the usual 400 "Session ID unknown".
   */
  peers:
    | Readonly<Record<string, string>>
    | ((nodeId: string) => string | undefined | Promise<string | undefined>);
  /**
   * How many forwarded HTTP requests (and upgrades still connecting) this node holds at once. A
   * long-poll held for a client of another node counts for up to `pingInterval`, so this bounds
   * how many polling clients may sit on the wrong node. Past it, the request gets 400 "Session ID
   * unknown", what it would get without forwarding (the client opens a new session).
   * @default 1000
   */
  maxConcurrent?: number;
  /**
   * How long a forwarded HTTP request may take (ms), its answer included; then it is dropped. A
   * long-poll lasts up to `pingInterval`. Also how long connecting to the owner may take for an upgrade.
   * @default pingInterval + pingTimeout
   */
  timeout?: number;
}

const NODE_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** Whether `text` may be a node id (ForwardOptions.nodeId): 1-32 of `A-Z a-z 0-9 _ -`. */
export function isNodeId(text: string): boolean {
  return NODE_ID.test(text);
}

/** Request headers that belong to one connection (RFC 9110 §7.6.1), not to the request. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/** A peer's `host:port`, read. */
interface Address {
  host: string;
  port: number;
}

/** `host:port` (`[::1]:3000` for IPv6) as an address, or undefined when it is not one. */
function parseAddress(text: string | undefined): Address | undefined {
  if (text === undefined) return undefined;
  const colon = text.lastIndexOf(':');
  const port = Number(text.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  // `[::1]:3000`: the brackets are the address's, not the host's.
  return { host: text.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
}

const UNKNOWN = (sid: string): EngineError => ({ code: 'SESSION_ID_UNKNOWN', context: { sid } });

/** Forwards the requests of sessions owned by other nodes (see the module comment). */
/** The longest a pooled connection to another node stays idle (node's keepAliveTimeout is 5 s). */
const IDLE_POOLED_MS = 4000;

export class Forwarder {
  private readonly nodeId: string;
  private readonly maxConcurrent: number;
  private readonly timeout: number;
  /** Keep-alive connections to the peers: a hop costs a request, not a TCP handshake. */
  private readonly agent: Agent;
  private active = 0;
  /** The open upgrade pipes, destroyed by close(). */
  private readonly pipes = new Set<Socket>();

  constructor(
    private readonly options: Readonly<ForwardOptions>,
    defaultTimeout: number,
  ) {
    if (!isNodeId(options.nodeId))
      throw new TypeError(`forward.nodeId must match ${NODE_ID}: ${JSON.stringify(options.nodeId)}`);
    this.nodeId = options.nodeId;
    this.maxConcurrent = options.maxConcurrent ?? 1000;
    this.timeout = options.timeout ?? defaultTimeout;
    // An idle pooled connection is dropped before the owner's keepAliveTimeout would close it:
    // reusing one the owner is closing at that instant fails the request (ECONNRESET), which the
    // client sees as its session gone. node's agent heeds the owner's `Keep-Alive: timeout=N`
    // hint (N s less 1 s) only below its own `timeout`, so that is set.
    this.agent = new Agent({ keepAlive: true, maxSockets: this.maxConcurrent, timeout: IDLE_POOLED_MS });
  }

  /** The session id this node gives a session `id` would have had: prefixed with the node id. */
  ownId(id: string): string {
    return `${this.nodeId}.${id}`;
  }

  /**
   * Passes an HTTP request to the owner of its session when that is another known node, and says
   * whether it did. `headers` are the CORS headers of a refusal answered here.
   */
  forwardRequest(exchange: HttpExchange, headers: OutgoingHttpHeaders, target: RequestTarget): boolean {
    const sid = target.param('sid');
    const owner = sid === null ? undefined : this.foreignOwner(sid, exchange.request.headers);
    // Only node's request can be streamed; the engine turns its own HTTP path off when forwarding.
    if (sid === null || owner === undefined || !(exchange instanceof NodeExchange)) return false;
    return this.withOwner(
      owner,
      (address) => this.proxyRequest(exchange, headers, sid, address),
      () => refuse(exchange, UNKNOWN(sid), headers),
      () => exchange.res.destroyed,
    );
  }

  /** Streams one request to `address` and its answer back (see forwardRequest). */
  private proxyRequest(exchange: NodeExchange, headers: OutgoingHttpHeaders, sid: string, address: Address): void {
    if (this.active >= this.maxConcurrent) {
      refuse(exchange, UNKNOWN(sid), headers);
      return;
    }
    this.active++;
    const { incoming, res } = exchange;
    const { host, port } = address;
    const out = httpRequest({
      host,
      port,
      method: incoming.method,
      path: incoming.url,
      headers: this.forwardedHeaders(incoming.headers),
      agent: this.agent,
      timeout: this.timeout,
    });
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.active--;
    };
    out.on('timeout', () => out.destroy());
    out.on('error', () => {
      finish();
      // Before any answer: the owner cannot be reached, as if the session were unknown here.
      if (!res.headersSent) refuse(exchange, UNKNOWN(sid), headers);
      else res.destroy();
    });
    out.on('response', (answer) => {
      const copied: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) copied[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, copied);
      answer.pipe(res);
      answer.on('end', finish);
      answer.on('error', () => {
        finish();
        res.destroy();
      });
    });
    // The client went away: so does the request to the owner (a held long-poll ends there too).
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
      finish();
    });
    incoming.pipe(out);
  }

  /**
   * Passes a WebSocket upgrade to the owner of its session when that is another known node: the
   * request head is written to a TCP connection to the owner, then bytes flow both ways untouched.
   * Says whether it did.
   */
  forwardUpgrade(req: RequestSource, socket: Duplex, head: Buffer, target: RequestTarget): boolean {
    const sid = target.param('sid');
    const owner = sid === null ? undefined : this.foreignOwner(sid, req.headers);
    if (sid === null || owner === undefined) return false;
    return this.withOwner(
      owner,
      (address) => this.pipeUpgrade(req, socket, head, sid, address),
      () => writeUpgradeError(socket, UNKNOWN(sid)),
      () => socket.destroyed,
    );
  }

  /** Pipes one upgrade to `address` (see forwardUpgrade). */
  private pipeUpgrade(req: RequestSource, socket: Duplex, head: Buffer, sid: string, address: Address): void {
    if (this.active >= this.maxConcurrent) {
      writeUpgradeError(socket, UNKNOWN(sid));
      return;
    }
    this.active++;
    let connecting = true;
    const upstream = connect({ host: address.host, port: address.port });
    this.pipes.add(upstream);
    upstream.setTimeout(this.timeout);
    const connected = (): void => {
      if (!connecting) return;
      connecting = false;
      this.active--;
    };
    upstream.on('timeout', () => {
      if (connecting) upstream.destroy(new Error('connect timeout'));
    });
    upstream.on('error', () => {
      if (connecting) writeUpgradeError(socket, UNKNOWN(sid));
      else socket.destroy();
      connected();
    });
    upstream.on('close', () => {
      this.pipes.delete(upstream);
      connected();
      socket.destroy();
    });
    socket.on('close', () => upstream.destroy());
    upstream.on('connect', () => {
      connected();
      upstream.setTimeout(0);
      upstream.setNoDelay(true);
      upstream.write(this.upgradeHead(req));
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
  }

  /** Ends the open upgrade pipes and the idle connections to peers. */
  close(): void {
    for (const pipe of this.pipes) pipe.destroy();
    this.pipes.clear();
    this.agent.destroy();
  }

  /**
   * The node that owns `sid`, when a request for it is to be forwarded: the sid names another
   * node (a valid node id), and the request was not forwarded already.
   */
  private foreignOwner(sid: string, headers: IncomingHttpHeaders): string | undefined {
    const dot = sid.indexOf('.');
    if (dot <= 0 || headers[HOP_HEADER] !== undefined) return undefined;
    const owner = sid.slice(0, dot);
    // Any other text is not a node's: the session is unknown here, as it is everywhere.
    if (owner === this.nodeId || !isNodeId(owner)) return undefined;
    return owner;
  }

  /**
   * Runs `forward` with where `owner` listens, and says whether the request is taken: false when
   * the peer list does not know the owner now; true when it does, or when it answers later (a
   * lookup), after which `forward` runs, or `refuse` when it knows nothing after all (or fails),
   * unless the client is `gone` meanwhile.
   */
  private withOwner(
    owner: string,
    forward: (address: Address) => void,
    refuse: () => void,
    gone: () => boolean,
  ): boolean {
    const address = this.lookup(owner);
    if (address === undefined) return false;
    if (!(address instanceof Promise)) {
      forward(address);
      return true;
    }
    const answered = (found: Address | undefined): void => {
      if (gone()) return;
      if (found === undefined) refuse();
      else forward(found);
    };
    address.then(answered, () => answered(undefined));
    return true;
  }

  /** Where `owner` listens, from the peer list: now, later (a lookup), or not at all. */
  private lookup(owner: string): Address | undefined | Promise<Address | undefined> {
    const peers = this.options.peers;
    const found = typeof peers === 'function' ? peers(owner) : Object.hasOwn(peers, owner) ? peers[owner] : undefined;
    return found instanceof Promise ? found.then(parseAddress) : parseAddress(found);
  }

  private forwardedHeaders(given: IncomingHttpHeaders): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(given)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    // A body of unknown length is sent chunked by node, as it came.
    headers[HOP_HEADER] = this.nodeId;
    return headers;
  }

  /** The head of an upgrade as the owner must read it, with the hop header. */
  private upgradeHead(req: RequestSource): string {
    let head = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || name === HOP_HEADER) continue;
      for (const one of Array.isArray(value) ? value : [value]) head += `${name}: ${one}\r\n`;
    }
    return `${head}${HOP_HEADER}: ${this.nodeId}\r\n\r\n`;
  }
}
