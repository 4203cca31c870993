/**
 * A round-robin TCP proxy on 127.0.0.1, as a load balancer without sticky sessions would be: each
 * new TCP connection goes to the next target in turn. A target that refuses the connection (a node
 * that died) is skipped for the next one, so clients that reconnect reach the live nodes; a
 * connection is refused only when every target refuses it.
 *
 * The proxy tracks the sockets it pipes and destroys them on close: a long-poll or a WebSocket held
 * open by a node would otherwise keep the proxy (and the test) from closing.
 */
import { connect, createServer, type Socket } from 'node:net';

/** Where the proxy sends connections: a port on 127.0.0.1. */
export interface ProxyTarget {
  readonly port: number;
}

export interface ProxyOptions<T extends ProxyTarget> {
  /**
   * Chooses the target of the n-th connection (0-based) instead of the turn. The proxy still skips
   * to the next target in `targets` if the chosen one refuses.
   */
  readonly pick?: (n: number, targets: readonly T[]) => T;
}

export interface RoundRobinProxy {
  readonly port: number;
  /** How many connections each target accepted, by index in `targets`. */
  readonly accepted: readonly number[];
  /** Connections each target refused (dead ones), by index in `targets`. */
  readonly refused: readonly number[];
  /** Stops listening and destroys every piped socket. */
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1:0 in front of `targets` and resolves once it listens. */
export async function startProxy<T extends ProxyTarget>(
  targets: readonly T[],
  options: ProxyOptions<T> = {},
): Promise<RoundRobinProxy> {
  if (targets.length === 0) throw new Error('a proxy needs at least one target');
  const piped = new Set<Socket>();
  const accepted = targets.map(() => 0);
  const refused = targets.map(() => 0);
  let next = 0;

  /** Connects to the target at `index`, or to the next ones after a refusal; undefined if all refuse. */
  const reach = (index: number, tries: number): Promise<Socket | undefined> =>
    new Promise((resolve) => {
      if (tries >= targets.length) return resolve(undefined);
      const upstream = connect(targets[index]!.port, '127.0.0.1');
      const onError = () => {
        refused[index]!++;
        upstream.destroy();
        resolve(reach((index + 1) % targets.length, tries + 1));
      };
      upstream.once('error', onError);
      upstream.once('connect', () => {
        upstream.off('error', onError);
        accepted[index]!++;
        resolve(upstream);
      });
    });

  const server = createServer((client) => {
    const n = next++;
    const chosen =
      options.pick === undefined ? n % targets.length : targets.indexOf(options.pick(n, targets));
    if (chosen < 0) throw new Error('pick returned a target that is not in the list');
    piped.add(client);
    // Bytes the client sends before the upstream connects wait in the paused client socket.
    client.pause();
    client.on('error', () => client.destroy());
    client.once('close', () => piped.delete(client));
    void reach(chosen, 0).then((upstream) => {
      if (upstream === undefined || client.destroyed) {
        upstream?.destroy();
        client.destroy();
        return;
      }
      piped.add(upstream);
      upstream.on('error', () => upstream.destroy());
      upstream.once('close', () => {
        piped.delete(upstream);
        client.destroy();
      });
      client.once('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    accepted,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of piped) socket.destroy();
        piped.clear();
      }),
  };
}
