/**
 * `parley serve --workers N` (src/cli/workers.ts): node:cluster workers behind one port, sharing
 * the chat's rooms through @socket.io/cluster-adapter; SIGTERM to the primary stops every worker;
 * long-polling works with no sticky routing (each worker forwards what belongs to another's
 * session). The CLI is spawned as a user runs it; the clients are official socket.io-clients.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import type { Socket } from 'socket.io-client';
import { closeClients, makeClient } from '../support/clients.js';
import { startProcess } from '../support/processes.js';
import { waitFor, waitForArgs, withTimeout } from '../support/waiting.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-workers-'));
after(() => rmSync(dir, { recursive: true, force: true }));
afterEach(closeClients);

interface Who {
  pid: number;
  id: number;
}

/** A client connected over WebSocket, with the worker that serves it (its `worker` event). */
async function connectToWorker(url: string): Promise<{ socket: Socket; who: Who }> {
  const socket = makeClient(url, { path: '/ws/chat/', transports: ['websocket'], autoConnect: false });
  const told = waitFor<Who>(socket, 'worker');
  socket.connect();
  return { socket, who: await told };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `parley serve --workers 2` on a db file of its own (`name`), as a user runs it; resolves once the
 * primary's banner is out, with the banner, the chat's URL and the workers' pids.
 */
async function startWorkers(name: string, extra: readonly string[] = [], options: { detached?: boolean } = {}) {
  const cli = await startProcess('src/cli/main.ts', {
    args: ['serve', '--workers', '2', '--port', '0', '--host', '127.0.0.1', '--db', join(dir, `${name}.db`), ...extra],
    ...options,
    ready: (line, lines) => (line.includes('workers:') ? [...lines] : undefined),
  });
  const banner = cli.ready.join('\n');
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(banner)?.[1];
  if (url === undefined) {
    await cli.stop('SIGKILL');
    assert.fail(`no URL in the banner:\n${banner}`);
  }
  const pids = (/pids ([\d, ]+)\)/.exec(banner)?.[1] ?? '').split(', ').map(Number);
  return { cli, banner, url, pids };
}

describe('parley serve --workers', () => {
  test('two workers behind one port: clients on different workers see each other; SIGTERM stops them all', async () => {
    const { cli, banner, url, pids } = await startWorkers('chat');
    try {
      const lines = cli.ready;
      assert.equal(lines.filter((l) => l.includes('listening on')).length, 1, 'one banner for all workers');
      assert.match(banner, /workers: +2 \(pids/);
      assert.equal(pids.length, 2, banner);

      // node:cluster hands connections round-robin: a few clients cover both workers.
      const clients: { socket: Socket; who: Who }[] = [];
      while (new Set(clients.map((c) => c.who.pid)).size < 2) {
        assert.ok(clients.length < 6, 'six connections all went to one worker');
        clients.push(await connectToWorker(url));
      }
      const a = clients[0]!;
      const b = clients.find((c) => c.who.pid !== a.who.pid)!;
      assert.deepEqual(new Set([a.who.pid, b.who.pid]), new Set(pids));

      const seenByB = waitForArgs(b.socket, 'message');
      const ack = (await a.socket.timeout(5000).emitWithAck('message', { type: 'text', content: 'across' })) as {
        ok: boolean;
      };
      assert.equal(ack.ok, true, JSON.stringify(ack));
      const [message] = (await seenByB) as [{ content: string; room: string }];
      assert.equal(message.content, 'across');
      assert.equal(message.room, 'lobby');

      // And back: b's worker broadcasts to a's.
      // a hears its own 'across' too (the sender is in the room), maybe after its ack: wait for 'back'.
      const seenByA = new Promise<string>((resolve) => {
        a.socket.on('message', (m: { content: string }) => {
          if (m.content === 'back') resolve(m.content);
        });
      });
      b.socket.emit('message', { type: 'text', content: 'back' });
      assert.equal(await withTimeout(seenByA, "'back' on a's worker"), 'back');
    } finally {
      const exit = await cli.stop('SIGTERM');
      assert.deepEqual(exit, { code: 0, signal: null });
    }
    for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} still runs`);
  });

  test('long-polling across workers with no sticky routing: polling only and the upgrade to WebSocket both work, no request fails', async () => {
    const { cli, url } = await startWorkers('polling');
    try {
      // node's socket.io-client opens a new TCP connection for each polling request (no agent), and
      // node:cluster gives each new connection to the next worker: about half of every session's
      // requests land on the worker that does not own it.
      for (const transports of [['polling'], ['polling', 'websocket']]) {
        const socket = makeClient(url, { path: '/ws/chat/', transports, autoConnect: false, reconnection: false });
        const errors: unknown[] = [];
        socket.on('connect_error', (err) => errors.push(err));
        socket.on('disconnect', (reason) => errors.push(reason));
        const told = waitFor<Who>(socket, 'worker');
        const refused = new Promise<never>((_, reject) => socket.once('connect_error', reject));
        socket.connect();
        await Promise.race([told, refused]);
        // Fewer than the message rate (20 per 10 s), which the second client may inherit from the first.
        for (let i = 0; i < 8; i++) {
          const ack = (await socket.timeout(5000).emitWithAck('message', {
            type: 'text',
            content: `${transports.join('+')} ${i}`,
          })) as { ok: boolean };
          assert.equal(ack.ok, true, JSON.stringify(ack));
        }
        const joined = (await socket.timeout(5000).emitWithAck('join', { room: 'polling' })) as { ok: boolean };
        assert.equal(joined.ok, true, JSON.stringify(joined));
        const history = (await socket.timeout(5000).emitWithAck('history', { room: 'lobby' })) as {
          ok: boolean;
          messages: { content: string }[];
        };
        assert.equal(history.ok, true, JSON.stringify(history));
        assert.ok(history.messages.some((m) => m.content === `${transports.join('+')} 7`));
        if (transports.includes('websocket')) assert.equal(socket.io.engine.transport.name, 'websocket');
        else assert.equal(socket.io.engine.transport.name, 'polling');
        assert.deepEqual(errors, [], `the session broke: ${errors.map(String).join(', ')}`);
        socket.disconnect();
      }
    } finally {
      const exit = await cli.stop('SIGTERM');
      assert.deepEqual(exit, { code: 0, signal: null });
    }
  });

  test('the per-address connection cap and request budget hold over all workers (kept by the primary), not per worker', async () => {
    const { cli, banner, url } = await startWorkers('limits', [
      ...['--max-connections', '2', '--address-budget', '20', '--budget', '100'],
    ]);
    try {
      assert.match(banner, /limits kept by the primary/);
      // Connections from one address (127.0.0.1), each to the next worker in turn. A refused
      // upgrade (403 "too many connections") is a plain "websocket error" to the client.
      const outcomes: string[] = [];
      const open: { socket: Socket; who: Who }[] = [];
      for (let i = 0; i < 6; i++) {
        const socket = makeClient(url, { path: '/ws/chat/', transports: ['websocket'], autoConnect: false, reconnection: false });
        const told = waitFor<Who>(socket, 'worker');
        const refused = new Promise<string>((resolve) => socket.once('connect_error', (err) => resolve(err.message)));
        socket.connect();
        const outcome = await Promise.race([told, refused]);
        if (typeof outcome === 'string') {
          outcomes.push(outcome);
          socket.close();
        } else {
          outcomes.push(`worker ${outcome.pid}`);
          open.push({ socket, who: outcome });
        }
      }
      // Per worker, 2 each would be 4 of 6; the cap is 2 in all (one may slip in while the
      // primary's answer about the second is on its way).
      assert.ok(open.length >= 2 && open.length <= 3, outcomes.join('\n'));

      // The budget: 18 of 20 units spent on one worker leave 2 for the address on the other.
      const a = open[0]!;
      const b = open.find((c) => c.who.pid !== a.who.pid);
      assert.ok(b, `the admitted connections are on both workers: ${outcomes.join(', ')}`);
      const unknown = async (socket: Socket) => ((await socket.timeout(5000).emitWithAck('nope', {})) as { error: { code: string } }).error.code;
      for (let i = 0; i < 18; i++) assert.equal(await unknown(a.socket), 'invalid_request');
      const onB: string[] = [];
      for (let i = 0; i < 24; i++) onB.push(await unknown(b.socket));
      const passed = onB.indexOf('rate_limited');
      // One worker alone would let 20 through (20 per address); the shared bucket had 2 left, and
      // what B lets through before the primary's first answer about the address is a few more.
      assert.ok(passed >= 0 && passed <= 10, onB.join(', '));
    } finally {
      const exit = await cli.stop('SIGTERM');
      assert.deepEqual(exit, { code: 0, signal: null });
    }
  });

  test('without --workers, serve runs one worker per core; with --db :memory: (or CHAT_WORKERS=1) one process', async () => {
    const cores = availableParallelism();
    const byDefault = await startProcess('src/cli/main.ts', {
      args: ['serve', '--port', '0', '--host', '127.0.0.1', '--db', join(dir, 'default.db')],
      env: { CHAT_WORKERS: '' },
      // The primary's banner ends with its workers line; one process's with its limits line.
      ready: (line, lines) => (line.includes(cores > 1 ? 'workers:' : '  limits:') ? [...lines] : undefined),
    });
    try {
      const banner = byDefault.ready.join('\n');
      if (cores > 1) assert.match(banner, new RegExp(`workers: +${cores} \\(pids`), banner);
      else assert.doesNotMatch(banner, /workers:/, banner);
    } finally {
      assert.deepEqual(await byDefault.stop('SIGTERM'), { code: 0, signal: null });
    }
    for (const [args, env] of [
      [['--db', ':memory:'], { CHAT_WORKERS: '' }],
      [['--db', join(dir, 'one.db')], { CHAT_WORKERS: '1' }],
    ] as const) {
      const single = await startProcess('src/cli/main.ts', {
        args: ['serve', '--port', '0', '--host', '127.0.0.1', ...args],
        env,
        ready: (line, lines) => (line.startsWith('  limits:') ? [...lines] : undefined),
      });
      try {
        assert.doesNotMatch(single.ready.join('\n'), /workers:/);
      } finally {
        assert.deepEqual(await single.stop('SIGTERM'), { code: 0, signal: null });
      }
    }
  });

  for (const [signal, who] of [
    ['SIGTERM', "systemd's stop (KillMode=control-group)"],
    ['SIGINT', 'Ctrl-C in a terminal'],
  ] as const) {
    test(`${who}: ${signal} to the primary and every worker at once stops them all cleanly`, async () => {
      const { cli, pids } = await startWorkers(signal, [], { detached: true });
      assert.equal(pids.length, 2);
      // Each worker hears a signal twice: the group's, and its primary's SIGTERM.
      assert.deepEqual(await cli.stop(signal, { group: true }), { code: 0, signal: null });
      for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} still runs`);
    });
  }

  test('--workers refuses what is not a count', async () => {
    const cli = startProcess('src/cli/main.ts', {
      args: ['serve', '--workers', 'many', '--port', '0'],
      stderr: 'pipe',
      ready: () => undefined,
    });
    await assert.rejects(cli, /workers must be auto, 0 \(one per core\) or an integer/);
  });
});
