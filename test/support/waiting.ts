/**
 * Waiting in tests: for an event, for a promise, for observable state, for a count of occurrences.
 * Every timeout here is a failure guard, generous and only reached when something is broken: nothing
 * sleeps.
 */

/** Default guard for anything awaited in a test. */
export const GUARD_MS = 5000;

/** Any event emitter (node's, ws's, socket.io's typed ones, socket.io-client's): typed loosely on purpose. */
export interface Listenable {
  once: Function;
  off: Function;
}
interface UntypedEmitter {
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Resolves with the arguments of the next `event` on `emitter`; rejects after `timeoutMs`. */
export function waitForArgs(source: Listenable, event: string, timeoutMs = GUARD_MS): Promise<unknown[]> {
  const emitter = source as UntypedEmitter;
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for event "${event}"`));
    }, timeoutMs);
    emitter.once(event, listener);
  });
}

/** Resolves with the first argument of the next `event` on `emitter`; rejects after `timeoutMs`. */
export async function waitFor<T = unknown>(
  emitter: Listenable,
  event: string,
  timeoutMs = GUARD_MS,
): Promise<T> {
  const args = await waitForArgs(emitter, event, timeoutMs);
  return args[0] as T;
}

/** Rejects with a clear message if `promise` has not settled within `timeoutMs`. */
export function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = GUARD_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/**
 * Polls `predicate` until it holds. Only for state that has no event to wait on; the timeout is a
 * failure guard.
 */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = GUARD_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * State that says when it changes: `until(predicate)` re-checks the predicate at each `changed()`
 * instead of polling it.
 */
export class Changes {
  private readonly checks = new Set<() => void>();

  /** Tells every pending `until` to look again. */
  changed(): void {
    for (const check of [...this.checks]) check();
  }

  /** Resolves once `predicate` holds, looked at now and at each change; rejects after `timeoutMs`. */
  until(predicate: () => boolean, what: string, timeoutMs = GUARD_MS): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.checks.delete(check);
      };
      const check = () => {
        let holds: boolean;
        try {
          holds = predicate();
        } catch (err) {
          // A predicate that throws fails the wait at once, instead of leaving it to time out.
          done();
          reject(err);
          return;
        }
        if (!holds) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what}`));
      }, timeoutMs);
      this.checks.add(check);
    });
  }
}

/** A promise with its settlers exposed. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Counts occurrences of something (e.g. one server-side 'disconnect' per socket): call `hit(value)` for
 * each; `wait()` resolves with the values once `count` were seen, and rejects after its guard timeout.
 */
export function countdown<T = unknown>(count: number) {
  const seen: T[] = [];
  const done = deferred<T[]>();
  if (count === 0) done.resolve(seen);
  return {
    hit(value: T): void {
      seen.push(value);
      if (seen.length === count) done.resolve(seen);
    },
    get seen(): readonly T[] {
      return seen;
    },
    wait(what: string, timeoutMs = GUARD_MS): Promise<T[]> {
      return withTimeout(done.promise, `${count} × ${what} (saw ${seen.length})`, timeoutMs);
    },
  };
}
