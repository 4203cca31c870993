/**
 * The gateway's upstream connections on the official `socket.io-client` package. This is the only
 * file of the gateway that imports a Socket.IO client: when parley's own client (`parley/client`,
 * same API) lands, this file is the one to change.
 */
import { io, type Socket } from 'socket.io-client';
import type {
  AckCallback,
  Upstream,
  UpstreamConnectError,
  UpstreamConnectOptions,
  UpstreamDisconnectKind,
  UpstreamEvents,
  UpstreamFactory,
} from './upstream.js';

/** socket.io-client's disconnect reasons that no reconnection follows, by who decided. */
function disconnectKind(reason: string): UpstreamDisconnectKind {
  if (reason === 'io server disconnect') return 'server';
  if (reason === 'io client disconnect') return 'client';
  return 'transport';
}

/**
 * socket.io-client reports a CONNECT_ERROR from the server as an Error with a `data` property (set
 * even when the server sent none); transport failures and its connect timeout have none.
 */
function connectError(err: Error): UpstreamConnectError {
  if (Object.hasOwn(err, 'data')) {
    const data = (err as Error & { data?: unknown }).data;
    return data === undefined
      ? { kind: 'refused', message: err.message }
      : { kind: 'refused', message: err.message, data };
  }
  return { kind: 'unreachable', message: err.message };
}

class SocketIoClientUpstream implements Upstream {
  private readonly socket: Socket;

  constructor(options: UpstreamConnectOptions) {
    const base = options.url.replace(/\/+$/, '');
    this.socket = io(`${base}${options.namespace === '/' ? '' : options.namespace}`, {
      path: options.path,
      // One upstream session per gateway client: never share a Manager (and its connection).
      forceNew: true,
      multiplex: false,
      auth: { ...options.auth },
      query: { ...options.query },
      extraHeaders: { ...options.headers },
      transports: [...options.transports],
      reconnection: options.reconnection,
      reconnectionDelay: options.reconnectionDelay,
      reconnectionDelayMax: options.reconnectionDelayMax,
      reconnectionAttempts: options.reconnectionAttempts,
      timeout: options.connectTimeout,
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  emit(event: string, args: readonly unknown[], ack?: Parameters<Upstream['emit']>[2]): void {
    if (!this.socket.connected) return;
    if (ack === undefined) {
      this.socket.emit(event, ...args);
      return;
    }
    this.socket.timeout(ack.timeoutMs).emit(event, ...args, (err: Error | null, ...answer: unknown[]) => {
      if (err) ack.onTimeout();
      else ack.onAnswer(...answer);
    });
  }

  onAny(listener: (event: string, args: unknown[], ack: AckCallback | undefined) => void): void {
    this.socket.onAny((event: string, ...args: unknown[]) => {
      // socket.io-client appends the ack function when the server asked for an answer; a decoded
      // argument is never a function, so a function in last place is that ack.
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        args.pop();
        listener(event, args, last as AckCallback);
      } else {
        listener(event, args, undefined);
      }
    });
  }

  on<E extends keyof UpstreamEvents>(event: E, listener: UpstreamEvents[E]): () => void {
    const manager = this.socket.io;
    switch (event) {
      case 'connect': {
        const fn = listener as UpstreamEvents['connect'];
        this.socket.on('connect', fn);
        return () => this.socket.off('connect', fn);
      }
      case 'connect_error': {
        const fn = (err: Error) => (listener as UpstreamEvents['connect_error'])(connectError(err));
        this.socket.on('connect_error', fn);
        return () => this.socket.off('connect_error', fn);
      }
      case 'disconnect': {
        const fn = (reason: string) =>
          (listener as UpstreamEvents['disconnect'])(disconnectKind(reason), reason);
        this.socket.on('disconnect', fn);
        return () => this.socket.off('disconnect', fn);
      }
      case 'reconnect_attempt':
      case 'reconnect': {
        const fn = listener as (attempt: number) => void;
        manager.on(event, fn);
        return () => manager.off(event, fn);
      }
      case 'reconnect_failed': {
        const fn = listener as UpstreamEvents['reconnect_failed'];
        manager.on('reconnect_failed', fn);
        return () => manager.off('reconnect_failed', fn);
      }
      default:
        return () => undefined;
    }
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Opens upstream connections with socket.io-client. */
export const socketIoClientUpstream: UpstreamFactory = (options) => new SocketIoClientUpstream(options);
