import type WebSocket from 'ws';
import { type ChatServerOptions, type RunningChat, startChatServer } from '../../src/chat/server.js';
import { type ClientSocket, makeClient, whenConnected } from '../support/clients.js';
import { WsClient } from '../support/raw-clients.js';
import { watchSockets } from '../support/sessions.js';
import { withTimeout } from '../support/waiting.js';

/**
 * Starts the chat server on 127.0.0.1:0 with an in-memory db and short heartbeats; its sockets are
 * watched, for `assertNoSessions(chat.io)`.
 */
export async function startChat(options: Partial<ChatServerOptions> = {}): Promise<RunningChat> {
  const chat = await startChatServer({
    port: 0,
    host: '127.0.0.1',
    db: ':memory:',
    pingInterval: 300,
    pingTimeout: 200,
    ...options,
  });
  watchSockets(chat.io);
  return chat;
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
  const client = makeClient(`http://127.0.0.1:${chat.port}`, {
    path: chat.options.path,
    auth,
    transports: ['websocket'],
  });
  listen?.(client);
  await whenConnected(client);
  return client;
}

/** A decoded frame from the server to a plain client. */
export type ServerFrame = { event?: string; ack?: number; data?: unknown; args?: unknown[] };

/** A plain WebSocket client of the chat (the shared raw WsClient): requests matched to acks by id. */
export class PlainChatClient {
  private nextId = 1;

  private constructor(
    readonly client: WsClient,
    /** The id the connect frame gave. */
    readonly id: string,
  ) {}

  /** Opens `ws://.../ws/chat/?<query>` and waits for the connect frame. */
  static async open(chat: RunningChat, query: Record<string, string> = {}): Promise<PlainChatClient> {
    const search = new URLSearchParams(query).toString();
    const client = new WsClient(`ws://127.0.0.1:${chat.port}${chat.options.path}${search ? `?${search}` : ''}`);
    await withTimeout(client.opened, 'the plain chat client to open');
    const connectFrame = await takeFrame(client, (f) => f.event === 'connect', 'the connect frame');
    return new PlainChatClient(client, (connectFrame.data as { id: string }).id);
  }

  get ws(): WebSocket {
    return this.client.ws;
  }

  /** The text frames received and not taken yet, decoded. */
  get frames(): ServerFrame[] {
    return this.client.queued.filter((f) => typeof f === 'string').map((f) => JSON.parse(f) as ServerFrame);
  }

  send(value: unknown): void {
    this.client.sendJson(value);
  }

  /** Sends `{event, data, id}` and resolves with the ack's data. */
  async request(event: string, data: unknown): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.send({ event, data, id });
    const frame = await this.take((f) => f.ack === id, `the ack of ${event} #${id}`);
    return frame.data as Record<string, unknown>;
  }

  /** Removes and returns the first queued text frame matching `match`, waiting for it if needed. */
  take(match: (frame: ServerFrame) => boolean, what = 'a matching frame'): Promise<ServerFrame> {
    return takeFrame(this.client, match, what);
  }

  /** The next `event` frame's data. */
  async event(name: string): Promise<unknown> {
    return (await this.take((f) => f.event === name, `the event ${name}`)).data;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

async function takeFrame(client: WsClient, match: (frame: ServerFrame) => boolean, what: string): Promise<ServerFrame> {
  const frame = await client.take((f) => typeof f === 'string' && match(JSON.parse(f) as ServerFrame), what);
  return JSON.parse(frame as string) as ServerFrame;
}
