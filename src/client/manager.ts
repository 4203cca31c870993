/**
 * A Manager is one Engine.IO connection shared by the sockets of several namespaces: it decodes
 * Socket.IO packets (reassembling binary attachments), routes them by namespace, and reconnects
 * with exponential backoff when the connection is lost.
 */
import { parser } from '../socket/codec.js';
import { Backoff } from './backoff.js';
import { Emitter } from './emitter.js';
import { type EngineCloseReason, EngineClient, type EngineOpenError } from './engine.js';
import { ConnectError } from './errors.js';
import { type ManagerOptions, resolveManagerOptions, type SocketOptions } from './options.js';
import { Socket } from './socket.js';

/** Why a socket disconnected (socket.io-client's reasons). */
export type DisconnectReason =
  /** The server disconnected this namespace (`socket.disconnect()` on the server). */
  | 'io server disconnect'
  /** The application called `socket.disconnect()`. */
  | 'io client disconnect'
  /** No heartbeat in time. */
  | 'ping timeout'
  /** The connection closed (the server went away, or closed the session). */
  | 'transport close'
  /** The connection failed. */
  | 'transport error'
  /** The server sent something the codecs could not decode. */
  | 'parse error';

/** The socket reason for each way the Engine.IO session can close. */
const REASON_OF_ENGINE_CLOSE: Readonly<Record<EngineCloseReason, DisconnectReason>> = Object.freeze({
  'transport close': 'transport close',
  'transport error': 'transport error',
  'parse error': 'parse error',
  'ping timeout': 'ping timeout',
  'forced close': 'io client disconnect',
});

/** Events of a {@link Manager}. */
export interface ManagerEvents {
  [event: string]: (...args: never[]) => void;
  /** The Engine.IO session is open. */
  open: () => void;
  /** A connection attempt failed. */
  error: (err: ConnectError) => void;
  /** The server pinged (v4). */
  ping: () => void;
  /** A Socket.IO packet arrived. */
  packet: (packet: parser.Packet) => void;
  /** The connection closed. */
  close: (reason: DisconnectReason, description: string) => void;
  /** A reconnection attempt starts (1, 2, ...). */
  reconnect_attempt: (attempt: number) => void;
  /** A reconnection attempt failed. */
  reconnect_error: (err: ConnectError) => void;
  /** Reconnected after `attempt` attempts. */
  reconnect: (attempt: number) => void;
  /** `reconnectionAttempts` attempts failed; no more will be made. */
  reconnect_failed: () => void;
}

type ReadyState = 'closed' | 'opening' | 'open';

// A client trusts its server more than a server trusts its clients: the cap only keeps a broken
// server from growing a packet without end.
const MAX_ATTACHMENTS = 10_000;

interface PendingBinary {
  packet: parser.Packet & { type: 'event' | 'ack' };
  attachments: number;
  buffers: Buffer[];
}

/** One connection to a server, multiplexing namespaces. */
export class Manager extends Emitter<ManagerEvents> {
  /** The resolved options. */
  readonly opts: ManagerOptions;
  /** `http(s)://host:port` of the server. */
  readonly uri: string;
  #engine: EngineClient | undefined;
  #state: ReadyState = 'closed';
  readonly #sockets = new Map<string, Socket>();
  readonly #backoff: Backoff;
  #reconnecting = false;
  #skipReconnect = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** The `timeout` of the connection attempt in progress. */
  #openTimer: ReturnType<typeof setTimeout> | undefined;
  #pending: PendingBinary | undefined;
  /** Protocol v4 (Engine.IO v3): whether the server connected '/' on its own, as it does. */
  #rootConnected = false;

  constructor(uri: string, opts: Partial<ManagerOptions> = {}) {
    super();
    this.uri = uri.replace(/^ws/, 'http').replace(/\/+$/, '');
    this.opts = resolveManagerOptions(opts);
    this.#backoff = new Backoff(
      this.opts.reconnectionDelay,
      this.opts.reconnectionDelayMax,
      this.opts.randomizationFactor,
    );
  }

  /** The current Engine.IO session. */
  get engine(): EngineClient | undefined {
    return this.#engine;
  }

  /** Whether a reconnection is scheduled or in progress. */
  get reconnecting(): boolean {
    return this.#reconnecting;
  }

  /** The Engine.IO revision of the current session (3 for socket.io 2.x servers), once known. */
  get protocol(): 3 | 4 | undefined {
    return this.#engine?.protocol;
  }

  /** @internal Protocol v4: whether '/' is connected by the server already. */
  get rootConnected(): boolean {
    return this.#rootConnected;
  }

  /**
   * @internal Protocol v4: whether the application left '/' on this session, so that joining it
   * again takes a CONNECT (the server's own connect of '/' was spent).
   */
  rootLeft = false;

  /** Whether a namespace has a socket on this Manager. */
  hasSocket(nsp: string): boolean {
    return this.#sockets.has(nsp);
  }

  /** The socket of a namespace, created on first use. */
  socket(nsp: string, opts: Partial<SocketOptions> = {}): Socket {
    let socket = this.#sockets.get(nsp);
    if (!socket) {
      socket = new Socket(this, nsp, opts);
      this.#sockets.set(nsp, socket);
    } else if (this.opts.autoConnect && !socket.active) {
      socket.connect();
    }
    return socket;
  }

  /** Opens the connection unless open or opening; `callback` hears how the attempt ended. */
  open(callback?: (err?: ConnectError) => void): this {
    if (this.#state !== 'closed') return this;
    this.#skipReconnect = false;
    this.#state = 'opening';
    this.#rootConnected = false;
    this.rootLeft = false;
    this.#pending = undefined;
    const engine = new EngineClient(this.uri, this.opts);
    this.#engine = engine;
    const timer = setTimeout(() => {
      this.#openTimer = undefined;
      if (this.#engine !== engine || this.#state !== 'opening') return;
      engine.close();
      this.#onOpenError(new ConnectError('timeout', 'timeout'), callback);
    }, this.opts.timeout);
    this.#openTimer = timer;
    engine.on('open', () => {
      clearTimeout(timer);
      this.#state = 'open';
      this.emitReserved('open');
      callback?.();
    });
    engine.on('error', (error: EngineOpenError) => {
      clearTimeout(timer);
      if (this.#engine !== engine) return;
      const err = new ConnectError(
        error.reason === 'invalid handshake' ? 'invalid handshake' : error.reason,
        error.reason === 'invalid handshake' ? 'invalid handshake' : `${error.transport} error`,
        { description: error.description },
      );
      this.#onOpenError(err, callback);
    });
    engine.on('ping', () => this.emitReserved('ping'));
    engine.on('message', (data: string | Buffer) => this.#onMessage(data));
    engine.on('close', (reason: EngineCloseReason, description: string) => {
      if (this.#engine === engine) this.#onClose(REASON_OF_ENGINE_CLOSE[reason], description);
    });
    engine.open();
    return this;
  }

  /** Same as `open`. */
  connect(callback?: (err?: ConnectError) => void): this {
    return this.open(callback);
  }

  #onOpenError(err: ConnectError, callback: ((err?: ConnectError) => void) | undefined): void {
    this.#state = 'closed';
    this.#engine = undefined;
    this.emitReserved('error', err);
    if (callback) callback(err);
    else if (!this.#reconnecting && this.#backoff.attempts === 0) this.#maybeReconnect();
  }

  #onMessage(data: string | Buffer): void {
    if (typeof data === 'string') {
      if (this.#pending) {
        this.#fail('a text packet arrived before the binary attachments of the previous one');
        return;
      }
      const decoded = parser.decodePacket(data, { maxAttachments: MAX_ATTACHMENTS });
      if (!decoded.ok) {
        this.#fail(decoded.error.message);
        return;
      }
      const header = decoded.value;
      if (header.complete) this.#onPacket(header.packet);
      else this.#pending = { packet: header.packet, attachments: header.attachments, buffers: [] };
      return;
    }
    const pending = this.#pending;
    if (!pending) {
      this.#fail('a binary message without a packet announcing it');
      return;
    }
    pending.buffers.push(data);
    if (pending.buffers.length < pending.attachments) return;
    this.#pending = undefined;
    const rebuilt = parser.attachBinary(pending.packet, pending.buffers);
    if (!rebuilt.ok) this.#fail(rebuilt.error.message);
    else this.#onPacket(rebuilt.value);
  }

  #onPacket(packet: parser.Packet): void {
    if (packet.type === 'connect' && packet.nsp === '/' && this.#engine?.protocol === 3) {
      this.#rootConnected = true;
    }
    this.emitReserved('packet', packet);
  }

  /** A packet the codec refused closes the connection, as socket.io-client does. */
  #fail(description: string): void {
    // Detached first, so that the engine's own 'forced close' is not taken for the application's.
    const engine = this.#engine;
    this.#onClose('parse error', description);
    engine?.close();
  }

  /** @internal Sends the Engine.IO messages of one encoded packet. */
  write(messages: readonly (string | Buffer)[]): void {
    const engine = this.#engine;
    if (!engine || this.#state !== 'open') return;
    for (const message of messages) engine.send(message);
  }

  /** @internal A socket left: close the connection once no socket is active. */
  destroySocket(_socket: Socket): void {
    for (const socket of this.#sockets.values()) if (socket.active) return;
    this.close();
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.#skipReconnect = true;
    this.#reconnecting = false;
    clearTimeout(this.#reconnectTimer);
    // An attempt cut short hears neither open nor error: its timer would outlive it.
    clearTimeout(this.#openTimer);
    this.#backoff.reset();
    const engine = this.#engine;
    if (!engine) {
      this.#state = 'closed';
      return;
    }
    const wasOpen = this.#state === 'open';
    engine.close();
    if (!wasOpen) {
      this.#state = 'closed';
      this.#engine = undefined;
    }
    // An open engine's close event runs #onClose.
  }

  /** Same as `close`. */
  disconnect(): void {
    this.close();
  }

  #onClose(reason: DisconnectReason, description: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#engine = undefined;
    this.#pending = undefined;
    this.#backoff.reset();
    this.emitReserved('close', reason, description);
    if (this.opts.reconnection && !this.#skipReconnect) this.#reconnect();
  }

  #maybeReconnect(): void {
    if (this.opts.reconnection && !this.#skipReconnect) this.#reconnect();
  }

  #reconnect(): void {
    if (this.#reconnecting || this.#skipReconnect) return;
    if (this.#backoff.attempts >= this.opts.reconnectionAttempts) {
      this.#backoff.reset();
      this.emitReserved('reconnect_failed');
      return;
    }
    const delay = this.#backoff.duration();
    this.#reconnecting = true;
    this.#reconnectTimer = setTimeout(() => {
      if (this.#skipReconnect) return;
      this.emitReserved('reconnect_attempt', this.#backoff.attempts);
      if (this.#skipReconnect) return;
      this.open((err) => {
        if (err) {
          this.#reconnecting = false;
          this.emitReserved('reconnect_error', err);
          this.#reconnect();
        } else {
          const attempts = this.#backoff.attempts;
          this.#reconnecting = false;
          this.#backoff.reset();
          this.emitReserved('reconnect', attempts);
        }
      });
    }, delay);
  }
}
