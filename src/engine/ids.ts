import { randomFillSync } from 'node:crypto';
import type { EngineError } from './errors.js';
import { idError } from './events.js';

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

/**
 * Gets the id of a new session from `generate` (the engine's `generateId`; a promise of one is
 * awaited) and hands it to `done`; `fail` gets the refusal when it throws, rejects, or gives no id
 * or one `inUse`. With `own` (forwarding), every id is made to name this node, whoever made the rest.
 */
export function newSessionId(
  generate: () => string | PromiseLike<string>,
  inUse: (id: string) => boolean,
  own: ((id: string) => string) | undefined,
  fail: (error: EngineError) => void,
  done: (id: string) => void,
): void {
  const check = (given: unknown): void => {
    const id = own !== undefined && typeof given === 'string' && given !== '' ? own(given) : given;
    if (typeof id !== 'string' || id === '' || inUse(id)) {
      fail(
        idError(
          new Error(`generateId gave ${typeof id === 'string' && id !== '' ? 'an id in use' : 'no id'}`),
        ),
      );
    } else {
      done(id);
    }
  };
  let made: string | PromiseLike<string>;
  try {
    made = generate();
  } catch (err) {
    fail(idError(err));
    return;
  }
  if (typeof made === 'string') check(made);
  else Promise.resolve(made).then(check, (err: unknown) => fail(idError(err)));
}
