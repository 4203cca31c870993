import { once } from 'node:events';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import WebSocket from 'ws';
import { type ChatServerOptions, type RunningChat, startChatServer } from '../../src/chat/server.js';

const GUARD_MS = 5000;

/** Starts the chat server on 127.0.0.1:0 with an in-memory db and short heartbeats. */
export function startChat(options: Partial<ChatServerOptions> = {}): Promise<RunningChat> {
  return startChatServer({ port: 0, host: '127.0.0.1', db: ':memory:', pingInterval: 300, pingTimeout: 200, ...options });
}

/**
 * Connects an official Socket.IO client to the chat and waits for the connection. `listen` attaches
 * listeners before connecting, for events the server sends in the same breath as the CONNECT.
 */
export async function socketIoClient(
  chat: RunningChat,
  auth: Record<string, unknown> = {},
  listen?: (client: ClientSocket) => void,
): Promise<ClientSocket> {
  const client = connect(`http://127.0.0.1:${chat.port}`, {
    path: chat.options.path,
    auth,
    forceNew: true,
    reconnection: false,
    transports: ['websocket'],
  });
  listen?.(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('connect_error', reject);
  });
  return client;
}

/** A decoded frame from the server to a plain client. */
export type ServerFrame = { event?: string; ack?: number; data?: unknown; args?: unknown[] };

/** A plain WebSocket client of the chat: frames queued, requests matched to acks by id. */
export class PlainChatClient {
  readonly frames: ServerFrame[] = [];
  private waiters: (() => void)[] = [];
  private nextId = 1;
  id = '';

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Opens `ws://.../ws/chat/?<query>` and waits for the connect frame. */
  static async open(chat: RunningChat, query: Record<string, string> = {}): Promise<PlainChatClient> {
    const search = new URLSearchParams(query).toString();
    const ws = new WebSocket(`ws://127.0.0.1:${chat.port}${chat.options.path}${search ? `?${search}` : ''}`);
    const client = new PlainChatClient(ws);
    await once(ws, 'open');
    const connectFrame = await client.take((f) => f.event === 'connect');
    client.id = (connectFrame.data as { id: string }).id;
    return client;
  }

  send(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  /** Sends `{event, data, id}` and resolves with the ack's data. */
  async request(event: string, data: unknown): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.send({ event, data, id });
    const frame = await this.take((f) => f.ack === id);
    return frame.data as Record<string, unknown>;
  }

  /** Removes and returns the first queued frame matching `match`, waiting for it if needed. */
  async take(match: (frame: ServerFrame) => boolean): Promise<ServerFrame> {
    const deadline = Date.now() + GUARD_MS;
    for (;;) {
      const index = this.frames.findIndex(match);
      if (index !== -1) return this.frames.splice(index, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${GUARD_MS} ms; queued: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next `event` frame's data. */
  async event(name: string): Promise<unknown> {
    return (await this.take((f) => f.event === name)).data;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = once(this.ws, 'close');
    this.ws.close();
    await closed;
  }
}

/** Waits until the server has no Socket.IO nor plain sessions left. */
export async function noSessionsLeft(chat: RunningChat): Promise<boolean> {
  const deadline = Date.now() + GUARD_MS;
  while (chat.io.engine.clientsCount + (chat.io.plain?.clientsCount ?? 0) > 0) {
    if (Date.now() > deadline) return false;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return true;
}
