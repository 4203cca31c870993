/**
 * parley's chat service on the bench contract: `startChatServer` (the chat CLI's server) on
 * 127.0.0.1:$PORT at /ws/chat/, with a fresh SQLite file (WAL) in a temp folder that is deleted on
 * exit. Every socket joins room `lobby`; `message` is validated, stored, broadcast to the room
 * (sender included) and acked after the commit. SIGUSR2 runs a full GC.
 *
 * Two profiles:
 * - default (the `chat` scenario, throughput): budgets and the message rate limit raised far above
 *   what the scenario sends (CHAT_RATE in ./chat-common.ts), connections per address uncapped (every
 *   bench client comes from loopback);
 * - `--default-limits` (chat-crowd, chat-flood, chat-joins): the service's own budgets, rate and
 *   room caps, connections per address uncapped; `--seed N` first stores N messages of
 *   `--seed-chars C` characters in the lobby, so history pages are full.
 */
import { startChatServer } from '../../src/chat/server.js';
import { CHAT_PATH, CHAT_RATE, tempDatabase } from './chat-common.js';
import { announce, exitOnSignals, installGcHook, portFromEnv } from './common.js';

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : (process.argv[at + 1] ?? '');
}

const defaultLimits = process.argv.includes('--default-limits');
const seed = Number(flag('--seed') ?? 0);
const seedChars = Number(flag('--seed-chars') ?? 100);

installGcHook();
const db = tempDatabase();
const chat = await startChatServer({
  port: portFromEnv(),
  host: '127.0.0.1',
  path: CHAT_PATH,
  db: db.path,
  maxConnections: 1_000_000,
  ...(defaultLimits
    ? {}
    : {
        rateLimit: CHAT_RATE.limit,
        rateWindowMs: CHAT_RATE.windowMs,
        budget: 1_000_000,
        addressBudget: 100_000_000,
      }),
});
for (let i = 0; i < seed; i++) {
  const head = `seed ${i} `;
  chat.store.append({ room: 'lobby', from: 'seeder', fromId: null, content: head + 'x'.repeat(Math.max(1, seedChars - head.length)) });
}
announce('chat-parley', chat.port);
exitOnSignals(() => chat.close().finally(db.remove));
