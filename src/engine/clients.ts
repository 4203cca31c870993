/**
 * engine.io's `clients` (sid -> the session's socket) as a live read-only view of the session
 * table: looking a sid up costs one map read, and nothing is kept in step as sessions come and go.
 * `Object.keys`, `for...in`, `Object.values` and `in` work as on the plain object engine.io keeps.
 */
export function clientsView<S, Conn>(table: ReadonlyMap<string, S>, connOf: (session: S) => Conn): Record<string, Conn> {
  const lookup = (key: string | symbol): S | undefined => (typeof key === 'string' ? table.get(key) : undefined);
  const refuse = (): boolean => {
    throw new TypeError('io.engine.clients is read-only: close a session with its close()');
  };
  return new Proxy(Object.create(null) as Record<string, Conn>, {
    get: (_target, key) => {
      const session = lookup(key);
      return session === undefined ? undefined : connOf(session);
    },
    has: (_target, key) => lookup(key) !== undefined,
    ownKeys: () => [...table.keys()],
    getOwnPropertyDescriptor: (_target, key) => {
      const session = lookup(key);
      if (session === undefined) return undefined;
      return { value: connOf(session), writable: false, enumerable: true, configurable: true };
    },
    set: refuse,
    defineProperty: refuse,
    deleteProperty: refuse,
  });
}
