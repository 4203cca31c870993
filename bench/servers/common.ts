/**
 * What every benchmark server shares: the startup line the harness parses, a GC hook, and the
 * bench contract's handlers (serveBenchContract), so parley and socket.io run the same ones.
 *
 * Startup line: `bench-server <name> listening on 127.0.0.1:<port> pid <pid>`. The pid is the one
 * of the process that serves (under `npm run` or the tsx CLI it is not the pid the harness spawned),
 * so the harness samples /proc/<pid> of the right process.
 *
 * GC: on SIGUSR2 the server runs a full garbage collection (twice, to also free what finalizers
 * released) and prints `bench-server gc done`. It needs `--expose-gc` (the harness passes it in
 * NODE_OPTIONS); without it the flag is set at run time through v8.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = () => void;

function findGc(): Gc {
  const exposed = (globalThis as { gc?: Gc }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as Gc;
}

/** Runs a full GC on SIGUSR2. */
export function installGcHook(): void {
  const gc = findGc();
  process.on('SIGUSR2', () => {
    gc();
    gc();
    process.stdout.write('bench-server gc done\n');
  });
}

/** Prints the startup line the harness waits for. */
export function announce(name: string, port: number): void {
  process.stdout.write(`bench-server ${name} listening on 127.0.0.1:${port} pid ${process.pid}\n`);
}

/** The listen port: env PORT (0 = a free one). */
export function portFromEnv(): number {
  const port = Number(process.env.PORT ?? 0);
  return Number.isInteger(port) && port >= 0 && port < 65536 ? port : 0;
}

/** Exits on SIGINT/SIGTERM after `close` (bounded to 2 s). */
export function exitOnSignals(close: () => Promise<unknown> | undefined): void {
  const stop = (): void => {
    setTimeout(() => process.exit(0), 2000).unref();
    void Promise.resolve(close()).finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** What the bench contract needs of a server's socket (parley's and socket.io's both fit). */
export interface BenchSocket {
  join(room: string): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: both servers' listener types, whatever their event maps.
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/**
 * The bench contract on one socket: it joins room `bench`; `echo` (any args) acks the same args
 * when it has an ack, else emits `echo` back with them; `broadcast` (one payload) goes to
 * `broadcast(payload)`, which emits it to room `bench`, sender included.
 */
export function serveBenchContract(socket: BenchSocket, broadcast: (payload: unknown) => void): void {
  socket.join('bench');
  socket.on('echo', (...args: unknown[]) => {
    const ack = args[args.length - 1];
    if (typeof ack === 'function') {
      args.pop();
      ack(...args);
    } else {
      socket.emit('echo', ...args);
    }
  });
  socket.on('broadcast', (payload: unknown) => broadcast(payload));
}
