/** What the two chat bench servers share: the path, the raised rate limit, a throw-away database. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The chat service's Socket.IO path. */
export const CHAT_PATH = '/ws/chat/';

/**
 * The per-connection rate limit for the bench: 10,000 messages per second, far above what one
 * sender of the scenario sends. Not 1e6 per 10 s: the limiter keeps a Float64Array of `limit`
 * entries per connection (8 MB each at 1e6, 4 GB of ArrayBuffers for 500 clients).
 */
export const CHAT_RATE = { limit: 10_000, windowMs: 1000 } as const;

/** A fresh SQLite file in a new temp folder; `remove` deletes the folder (also run on exit). */
export function tempDatabase(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-chat-bench-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  return { path: join(dir, 'chat.db'), remove };
}
