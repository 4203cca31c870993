import type WebSocket from 'ws';
import { type ChatServerOptions, type RunningChat, startChatServer } from '../../src/chat/server.js';
import { type ClientSocket, type ConnectOptions, makeClient, whenConnected } from '../support/clients.js';
import { type StartedProcess, startProcess } from '../support/processes.js';
import { WsClient, type WsClientOptions } from '../support/raw-clients.js';
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
  options: ConnectOptions = {},
): Promise<ClientSocket> {
  const client = makeClient(`http://127.0.0.1:${chat.port}`, {
    path: chat.options.path,
    auth,
    transports: ['websocket'],
    ...options,
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
  static async open(
    chat: RunningChat,
    query: Record<string, string> = {},
    options: WsClientOptions = {},
  ): Promise<PlainChatClient> {
    const client = new WsClient(PlainChatClient.url(chat, query), options);
    await withTimeout(client.opened, 'the plain chat client to open');
    const connectFrame = await takeFrame(client, (f) => f.event === 'connect', 'the connect frame');
    return new PlainChatClient(client, (connectFrame.data as { id: string }).id);
  }

  /** Where a plain client of `chat` connects, with `query`. */
  static url(chat: RunningChat, query: Record<string, string> = {}): string {
    const search = new URLSearchParams(query).toString();
    return `ws://127.0.0.1:${chat.port}${chat.options.path}${search ? `?${search}` : ''}`;
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

async function takeFrame(
  client: WsClient,
  match: (frame: ServerFrame) => boolean,
  what: string,
): Promise<ServerFrame> {
  const frame = await client.take((f) => typeof f === 'string' && match(JSON.parse(f) as ServerFrame), what);
  return JSON.parse(frame as string) as ServerFrame;
}

/** A presence event as the service sends it: a snapshot (`members`) or a delta (`joined`, `left`). */
export interface PresenceEvent {
  room: string;
  count: number;
  members?: { id: string; name: string }[];
  joined?: { id: string; name: string }[];
  left?: { id: string; name: string }[];
}

/**
 * What one client knows of each room's members, built as a client should: a snapshot (join ack,
 * lobby presence on connect) replaces a room's list, deltas add and remove by id.
 */
export class MemberView {
  readonly rooms = new Map<string, Map<string, string>>();
  readonly counts = new Map<string, number>();
  /** Every presence event seen, in order. */
  readonly events: PresenceEvent[] = [];
  private readonly waiters = new Set<() => void>();

  /** Follows the `presence` events of an official Socket.IO client. */
  static of(client: ClientSocket): MemberView {
    const view = new MemberView();
    client.on('presence', (event: PresenceEvent) => view.apply(event));
    return view;
  }

  /** Follows the `presence` frames of a plain WebSocket client. */
  static ofPlain(client: PlainChatClient): MemberView {
    const view = new MemberView();
    client.ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const frame = JSON.parse(data.toString()) as ServerFrame;
      if (frame.event === 'presence') view.apply(frame.data as PresenceEvent);
    });
    return view;
  }

  apply(event: PresenceEvent): void {
    this.events.push(event);
    let members = this.rooms.get(event.room);
    if (event.members !== undefined || members === undefined) {
      members = new Map();
      this.rooms.set(event.room, members);
    }
    for (const m of event.members ?? []) members.set(m.id, m.name);
    for (const m of event.joined ?? []) members.set(m.id, m.name);
    for (const m of event.left ?? []) members.delete(m.id);
    this.counts.set(event.room, event.count);
    for (const wake of this.waiters) wake();
  }

  /** The names this client believes are in `room`, sorted. */
  names(room: string): string[] {
    return [...(this.rooms.get(room)?.values() ?? [])].sort();
  }

  /** Resolves once `check` holds for this view (checked on each presence event). */
  until(check: (view: MemberView) => boolean, what: string): Promise<void> {
    if (check(this)) return Promise.resolve();
    let wake: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      wake = () => {
        if (!check(this)) return;
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
    return withTimeout(done, what);
  }
}

/** A chat node run as its own process by the CLI (`parley serve`), as an operator would. */
export interface ChatProcess {
  readonly port: number;
  readonly url: string;
  readonly process: StartedProcess<number>;
  /** Every stderr chunk the node wrote so far. */
  readonly stderr: readonly string[];
}

/**
 * Starts `src/cli/main.ts serve --port 0 --host 127.0.0.1 ...args` and resolves once its banner's
 * limits line is printed, with the port from its first line. Stop it with `process.stop(signal)`.
 */
export async function startChatProcess(args: readonly string[]): Promise<ChatProcess> {
  const stderr: string[] = [];
  let port = 0;
  const started = await startProcess('src/cli/main.ts', {
    args: ['serve', '--port', '0', '--host', '127.0.0.1', ...args],
    stderr: 'pipe',
    onStderr: (text) => stderr.push(text),
    ready: (line) => {
      const listening = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
      if (listening) port = Number(listening[1]);
      return line.includes('limits:') && port > 0 ? port : undefined;
    },
  });
  return { port: started.ready, url: `http://127.0.0.1:${started.ready}`, process: started, stderr };
}
