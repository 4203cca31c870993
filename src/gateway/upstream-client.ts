/**
 * The gateway's upstream connections on parley's own client (src/client, `parley/client`: Engine.IO
 * v4 and v3, socket.io-client's API). This is the only file of the gateway that knows a Socket.IO
 * client; the rest sees the Upstream interface.
 */
import { ConnectError, io, type Socket } from '../client/index.js';
import type {
  AckCallback,
  Upstream,
  UpstreamConnectError,
  UpstreamConnectOptions,
  UpstreamDisconnectKind,
  UpstreamEvents,
  UpstreamFactory,
} from './upstream.js';

/** The client's disconnect reasons (socket.io-client's names), by who decided. */
function disconnectKind(reason: string): UpstreamDisconnectKind {
  if (reason === 'io server disconnect') return 'server';
  if (reason === 'io client disconnect') return 'client';
  return 'transport';
}

/** A refusal by the server (CONNECT_ERROR, with its data) or a failure to reach it at all. */
function connectError(err: Error): UpstreamConnectError {
  if (err instanceof ConnectError && err.reason === 'refused') {
    return err.data === undefined
      ? { kind: 'refused', message: err.message }
      : { kind: 'refused', message: err.message, data: err.data };
  }
  return { kind: 'unreachable', message: err.message };
}

class ClientUpstream implements Upstream {
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
      // The client appends the ack function when the server asked for an answer; a decoded
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
      case 'reconnect_attempt': {
        const fn = listener as (attempt: number) => void;
        manager.on('reconnect_attempt', fn);
        return () => manager.off('reconnect_attempt', fn);
      }
      case 'reconnect': {
        const fn = listener as (attempt: number) => void;
        manager.on('reconnect', fn);
        return () => manager.off('reconnect', fn);
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

/** Opens upstream connections with parley's client. */
export const clientUpstream: UpstreamFactory = (options) => new ClientUpstream(options);
