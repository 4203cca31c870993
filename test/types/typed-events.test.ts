/**
 * Type-level checks: this file must typecheck (`npm test` runs tsc first), and every
 * `@ts-expect-error` must still be an error. The runtime part only makes sure it loads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DisconnectReason, Server, Socket } from '../../src/index.js';

interface ClientToServer {
  chat: (text: string, ack: (reply: { ok: boolean }) => void) => void;
  ping: () => void;
}
interface ServerToClient {
  news: (headline: string, priority: number) => void;
  question: (q: string, answer: (a: number) => void) => void;
}
interface InterServer {
  sync: (n: number) => void;
}
interface Data {
  name: string;
}

type TypedServer = Server<ClientToServer, ServerToClient, InterServer, Data>;
type TypedSocket = Socket<ClientToServer, ServerToClient, InterServer, Data>;

function checks(io: TypedServer, socket: TypedSocket): void {
  socket.emit('news', 'hello', 1);
  // @ts-expect-error wrong argument type
  socket.emit('news', 'hello', 'high');
  // @ts-expect-error unknown event
  socket.emit('unknown', 1);

  socket.on('chat', (text, ack) => {
    const t: string = text;
    ack({ ok: t.length > 0 });
  });
  // @ts-expect-error listener has the wrong signature
  socket.on('chat', (text: number) => text);

  socket.on('disconnect', (reason) => {
    const r: DisconnectReason = reason;
    void r;
  });

  const answer: Promise<number> = socket.emitWithAck('question', 'how many?');
  void answer;
  socket.timeout(100).emit('question', 'q', (err, a) => {
    const e: Error | null = err;
    const n: number = a;
    void e;
    void n;
  });

  io.to('room').emit('news', 'x', 2);
  // @ts-expect-error wrong argument type in a broadcast
  io.to('room').emit('news', 1, 2);
  io.timeout(100).emit('question', 'q', (err, answers) => {
    const list: number[] = answers;
    void err;
    void list;
  });

  const name: string = socket.data.name;
  void name;
  io.serverSideEmit('sync', 1);
  // @ts-expect-error server-side events are typed too
  io.serverSideEmit('sync', 'x');
}

test('typed event maps constrain emit, on, acks and socket data (checked by tsc)', () => {
  assert.equal(typeof checks, 'function');
});
