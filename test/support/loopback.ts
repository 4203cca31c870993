/** An http.Server of a test on 127.0.0.1 and an ephemeral port, and its closing. */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1, port 0; resolves with the port the system chose. */
export function listenOnLoopback(http: HttpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve((http.address() as AddressInfo).port);
    });
  });
}

/** Closes `http` with whatever connections are still open (e.g. a request left hanging). */
export async function closeHttp(http: HttpServer): Promise<void> {
  if (!http.listening) {
    http.closeAllConnections();
    return;
  }
  const closed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeAllConnections();
  await closed;
}
