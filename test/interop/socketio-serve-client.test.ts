/**
 * Interop: `serveClient` as socket.io 4.8 has it: the browser client's bundles and their maps
 * under the path, compressed by Accept-Encoding, with an ETag of the client's version (304 when it
 * matches), the engine's CORS headers, and nothing else served; `serveClient: false` leaves the
 * request to the engine. Run against parley and, with PARLEY_TEST_AGAINST=socket.io, against
 * socket.io itself.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { cleanup, connectClient, serverKind, startServer } from '../support/fixtures.js';
import { http } from '../support/raw-clients.js';
import { PARLEY } from '../support/servers.js';

afterEach(cleanup);

const require = createRequire(import.meta.url);
const clientDist = join(dirname(require.resolve('socket.io-client/package.json')), 'dist');
const BUNDLES = ['socket.io.js', 'socket.io.min.js', 'socket.io.msgpack.min.js', 'socket.io.esm.min.js'];
const FILES = BUNDLES.flatMap((name) => [name, `${name}.map`]);

function distFile(name: string): Buffer {
  return readFileSync(join(clientDist, name));
}

describe('serveClient: the files', () => {
  test('every bundle and map is served under the path, with its content type, ETag and Cache-Control', async () => {
    const { url } = await startServer();
    for (const name of FILES) {
      const answer = await http(`${url}/socket.io/${name}`);
      assert.equal(answer.status, 200, name);
      assert.equal(
        answer.headers['content-type'],
        name.endsWith('.map') ? 'application/json; charset=utf-8' : 'application/javascript; charset=utf-8',
      );
      assert.match(answer.headers.etag ?? '', /^"\d+\.\d+\.\d+"$/, 'the ETag is the quoted client version');
      assert.equal(answer.headers['cache-control'], 'public, max-age=0');
      assert.equal(answer.headers['content-encoding'], undefined, 'no Accept-Encoding: identity');
      assert.ok(answer.bytes.equals(distFile(name)), `${name} is the client's file`);
    }
  });

  test('a query string is ignored; a custom path serves the files under it', async () => {
    const { url } = await startServer({ path: '/custom' });
    const answer = await http(`${url}/custom/socket.io.min.js?v=1`);
    assert.equal(answer.status, 200);
    assert.ok(answer.bytes.equals(distFile('socket.io.min.js')));
    const client = await connectClient(url, { path: '/custom' });
    assert.ok(client.connected, 'the engine still answers on the same path');
  });

  test('only those exact names are served: anything else under the path is the engine’s (400)', async () => {
    const { url } = await startServer();
    for (const path of [
      '/socket.io/socket.io.js.gz',
      '/socket.io/socket.io.jsx',
      // (a `..` segment would be resolved by the client's URL parsing before it is sent)
      '/socket.io/%2e%2e%2fpackage.json',
      '/socket.io/socket.io.js%2f..%2f..%2fpackage.json',
      '/socket.io/dist/socket.io.js',
      '/socket.io/SOCKET.IO.JS',
    ]) {
      const answer = await http(`${url}${path}`);
      assert.equal(answer.status, 400, path);
      assert.equal((JSON.parse(answer.body) as { code: number }).code, 0, path);
    }
  });
});

describe('serveClient: compression', () => {
  const cases: { accept: string; coding: string | undefined; decode: (b: Buffer) => Buffer }[] = [
    { accept: 'gzip', coding: 'gzip', decode: gunzipSync },
    { accept: 'br', coding: 'br', decode: brotliDecompressSync },
    { accept: 'deflate', coding: 'deflate', decode: inflateSync },
    // Equal q: the header's order decides, then the server's (br, gzip, deflate).
    { accept: 'gzip, deflate, br', coding: 'gzip', decode: gunzipSync },
    { accept: 'deflate, *', coding: 'deflate', decode: inflateSync },
    { accept: 'gzip;q=1, br;q=0.5', coding: 'gzip', decode: gunzipSync },
    { accept: 'br;q=0, gzip;q=0.1', coding: 'gzip', decode: gunzipSync },
    { accept: '*', coding: 'br', decode: brotliDecompressSync },
    { accept: 'identity', coding: undefined, decode: (b) => b },
    { accept: 'compress, zstd', coding: undefined, decode: (b) => b },
  ];
  for (const { accept, coding, decode } of cases) {
    test(`Accept-Encoding: ${accept} → ${coding ?? 'identity'}`, async () => {
      const { url } = await startServer();
      const answer = await http(`${url}/socket.io/socket.io.min.js`, { headers: { 'Accept-Encoding': accept } });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-encoding'], coding);
      assert.ok(decode(answer.bytes).equals(distFile('socket.io.min.js')));
    });
  }

  test('the same compressed file is served again, to many requests at once', async () => {
    const { url } = await startServer();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        http(`${url}/socket.io/socket.io.esm.min.js.map`, { headers: { 'Accept-Encoding': 'gzip' } }),
      ),
    );
    for (const answer of answers) {
      assert.equal(answer.headers['content-encoding'], 'gzip');
      assert.ok(gunzipSync(answer.bytes).equals(distFile('socket.io.esm.min.js.map')));
    }
  });
});

describe('serveClient: caching', () => {
  test('If-None-Match with the ETag (strong or weak) gets a 304 without a body; another tag gets the file', async () => {
    const { url } = await startServer();
    const first = await http(`${url}/socket.io/socket.io.js`);
    const etag = first.headers.etag ?? '';
    for (const tag of [etag, `W/${etag}`]) {
      const again = await http(`${url}/socket.io/socket.io.js`, { headers: { 'If-None-Match': tag } });
      assert.equal(again.status, 304, tag);
      assert.equal(again.bytes.length, 0);
    }
    const other = await http(`${url}/socket.io/socket.io.js`, { headers: { 'If-None-Match': '"0.0.1"' } });
    assert.equal(other.status, 200);
  });
});

describe('serveClient: CORS and the option', () => {
  test('with the cors option, the files carry its headers; a preflight is answered', async () => {
    const { url } = await startServer({ cors: { origin: 'https://app.example', credentials: true } });
    const answer = await http(`${url}/socket.io/socket.io.min.js`, { headers: { Origin: 'https://app.example' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(answer.headers['access-control-allow-credentials'], 'true');
    const preflight = await http(`${url}/socket.io/socket.io.min.js`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
  });

  test('without the cors option, no CORS header is added', async () => {
    const { url } = await startServer();
    const answer = await http(`${url}/socket.io/socket.io.min.js`, { headers: { Origin: 'https://app.example' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['access-control-allow-origin'], undefined);
  });

  test('serveClient: false leaves the request to the engine (400 Transport unknown); io.serveClient() reads it', async () => {
    const { io, url } = await startServer({ serveClient: false });
    assert.equal(io.serveClient(), false);
    const answer = await http(`${url}/socket.io/socket.io.min.js`);
    assert.equal(answer.status, 400);
    assert.deepEqual(JSON.parse(answer.body), { code: 0, message: 'Transport unknown' });
    const client = await connectClient(url);
    assert.ok(client.connected);
  });

  test('serveClient is on by default', async () => {
    const { io } = await startServer();
    assert.equal(io.serveClient(), true);
  });
});

describe('serveClient: parley-only paths', () => {
  test(
    "parley's own HTTP path (ownHttp) serves the files too, compressed",
    { skip: serverKind === 'socket.io' ? 'ownHttp is a parley option' : false },
    async () => {
      const { url } = await startServer({ ownHttp: true }, PARLEY);
      const answer = await http(`${url}/socket.io/socket.io.msgpack.min.js`, { headers: { 'Accept-Encoding': 'br' } });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-encoding'], 'br');
      assert.ok(brotliDecompressSync(answer.bytes).equals(distFile('socket.io.msgpack.min.js')));
      const client = await connectClient(url, { transports: ['polling'] });
      assert.ok(client.connected);
    },
  );
});
