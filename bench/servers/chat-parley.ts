/**
 * parley's chat service on the bench contract, for the `chat` scenario: `startChatServer` (the
 * chat CLI's server) on 127.0.0.1:$PORT at /ws/chat/, with a fresh SQLite file (WAL) in a temp
 * folder that is deleted on exit. Every socket joins room `lobby`; `message` is validated, stored,
 * broadcast to the room (sender included) and acked after the commit. The per-connection rate
 * limit is raised far above what the scenario sends (see CHAT_RATE in ./chat-common.ts).
 * SIGUSR2 runs a full GC.
 */
import { startChatServer } from '../../src/chat/server.js';
import { CHAT_PATH, CHAT_RATE, tempDatabase } from './chat-common.js';
import { announce, exitOnSignals, installGcHook, portFromEnv } from './common.js';

installGcHook();
const db = tempDatabase();
const chat = await startChatServer({
  port: portFromEnv(),
  host: '127.0.0.1',
  path: CHAT_PATH,
  db: db.path,
  rateLimit: CHAT_RATE.limit,
  rateWindowMs: CHAT_RATE.windowMs,
});
announce('chat-parley', chat.port);
exitOnSignals(() => chat.close().finally(db.remove));
