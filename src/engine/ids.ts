import { randomFillSync } from 'node:crypto';

// Random bytes are drawn 4 KiB at a time: one call to the CSPRNG per ~270 ids instead of one each.
const POOL_SIZE = 4096;
const ID_BYTES = 15;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** A random, url-safe, 20-character id (120 bits), for sessions and sockets. */
export function randomId(): string {
  if (offset + ID_BYTES > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
