/**
 * parley as an installed package: `npm pack` (which builds dist/ through `prepare`), the tarball
 * installed into a new project, and there: its types checked by tsc, the library serving a client,
 * and the `parley` bin (compiled, run by node without tsx) showing its help and serving the chat.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startCommand } from '../support/processes.js';
import { requirePeer } from '../support/requirements.js';

const REPO = resolve(import.meta.dirname, '../..');
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');

/** The consumer's program: typed events, both entry points, a deliberate type error tsc must see. */
const CONSUMER_TS = `import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EngineServer } from 'parley/engine';
import { Server } from 'parley';
import { io as connect } from 'parley/client';

interface ClientToServer {
  hello: (name: string, ack: (reply: string) => void) => void;
}
interface ServerToClient {
  welcome: (count: number) => void;
}

const http = createServer();
const io = new Server<ClientToServer, ServerToClient>(http, { path: '/pack/' });
io.on('connection', (socket) => {
  socket.emit('welcome', io.of('/').sockets.size);
  socket.on('hello', (name, ack) => ack(\`hi \${name.toUpperCase()}\`));
  // @ts-expect-error welcome carries a number: the shipped types must say so, not be any.
  socket.emit('welcome', 'many');
});
// The Engine.IO layer is exported on its own too.
const engineClass: typeof EngineServer = EngineServer;
http.listen(0, '127.0.0.1', () => {
  const port = (http.address() as AddressInfo).port;
  // The package's own client connects to the package's own server.
  const client = connect(\`http://127.0.0.1:\${port}\`, { path: '/pack/', transports: ['websocket'] });
  client.once('welcome', (count: number) => {
    client.emit('hello', 'pack', (reply: string) => {
      client.close();
      console.log(\`ready \${port} \${engineClass.name} \${count} \${reply}\`);
    });
  });
});
process.once('SIGTERM', () => {
  void io.close().then(() => process.exit(0));
});
`;

/** A CommonJS application: the callable export and the named ones, as socket.io documents them. */
const CONSUMER_CJS = `const { createServer } = require('node:http');
const parley = require('parley');
const { io: connect } = require('socket.io-client');

const http = createServer();
const io = parley(http, { path: '/cjs/' });
if (!(io instanceof parley.Server)) throw new Error('require("parley")(srv) is not a Server');
const other = new parley.Server({ path: '/other/' });
io.on('connection', (socket) => socket.emit('welcome', 'from cjs'));
http.listen(0, '127.0.0.1', () => {
  const client = connect('http://127.0.0.1:' + http.address().port, { path: '/cjs/', transports: ['websocket'] });
  client.once('welcome', async (text) => {
    client.close();
    await io.close();
    await other.close();
    console.log('ready ' + typeof parley + ' ' + parley.Server.name + ' ' + typeof parley.Namespace + ' ' + text);
  });
});
`;

/** A CommonJS TypeScript application: the types of \`require('parley')\`. */
const CONSUMER_CTS = `import { createServer } from 'node:http';
import parley = require('parley');

interface ServerToClient {
  welcome: (text: string) => void;
}
const io = parley<{}, ServerToClient>(createServer(), { path: '/cjs/' });
io.on('connection', (socket) => {
  socket.emit('welcome', 'typed');
  // @ts-expect-error welcome carries a string
  socket.emit('welcome', 1);
  socket.data.anything = true;
});
const other: InstanceType<typeof parley.Server> = new parley.Server({ serveClient: false });
// @ts-expect-error the options are typed
parley(createServer(), { path: 1 });
void other;
`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    // The shipped .d.ts files are checked too: a type they name from a package the consumer does
    // not get (a devDependency of parley) is an error here, not a silent any.
    skipLibCheck: false,
    types: ['node'],
    outDir: 'out',
  },
  // The CommonJS consumer's types are checked in the same run (one tsc start).
  files: ['consumer.ts', 'consumer-types.cts'],
};

/** Errors of an npm run that mean "no network" rather than a broken package. */
const OFFLINE = /ENOTFOUND|EAI_AGAIN|ENETUNREACH|ECONNREFUSED|ETIMEDOUT|ECONNRESET|network/;

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: '' } });
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  assert.equal(result.status, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

describe('the npm package', { timeout: 150_000 }, () => {
  let dir = '';
  let project = '';
  let packed: { filename: string; files: Array<{ path: string }> } | undefined;
  let installed: SpawnSyncReturns<string> | undefined;

  before(
    () => {
      dir = mkdtempSync(join(tmpdir(), 'parley-pack-'));
      // `npm pack` runs `prepare`, so this is also the build a fresh clone's `npm ci` makes.
      const out = ok(run('npm', ['pack', '--json', '--pack-destination', dir], REPO), 'npm pack');
      packed = (JSON.parse(out.slice(out.indexOf('[')))[0] as typeof packed)!;
      project = join(dir, 'consumer');
      mkdirSync(project);
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'parley-consumer', private: true, type: 'module' }),
      );
      // better-sqlite3 is linked from this repo's node_modules, already built: compiling SQLite
      // again takes about a minute, and npm still checks it against parley's version range (a
      // mismatch would install another copy). Everything else comes from the tarball's own
      // dependency list, as for any user; --prefer-offline takes it from npm's cache, which
      // `npm ci` has just filled. --ignore-scripts: the link needs no build.
      installed = run(
        'npm',
        [
          'install',
          join(dir, packed.filename),
          join(REPO, 'node_modules/better-sqlite3'),
          '--prefer-offline',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
        ],
        project,
      );
    },
    { timeout: 120_000 },
  );

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** Whether the install went through; skips (loudly, failing under CI) when it could not reach npm. */
  function requireInstall(t: { skip(message?: string): void }): boolean {
    assert.ok(installed);
    if (installed.status !== 0 && OFFLINE.test(installed.stderr)) {
      return requirePeer(
        t,
        'network access to the npm registry',
        false,
        'for dependencies not in the npm cache',
      );
    }
    ok(installed, 'npm install <tarball>');
    return true;
  }

  test('the tarball holds the build, the chat page, docs, README and LICENSE, and no sources or tests', () => {
    assert.ok(packed);
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      'LICENSE',
      'README.md',
      'package.json',
      'docs/native-websocket.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/engine/index.js',
      'dist/engine/index.d.ts',
      'dist/cjs/index.cjs',
      'dist/cjs/index.d.cts',
      'dist/cli/main.js',
      'dist/cli/log.d.ts',
      'dist/chat/public/index.html',
      'dist/chat/public/app.js',
    ]) {
      assert.ok(paths.includes(needed), `${needed} is missing from the tarball`);
    }
    const stray = paths.filter(
      (p) => /^(src|test|bench|examples|scripts|build)\//.test(p) || p.endsWith('.map'),
    );
    assert.deepEqual(stray, []);
  });

  test('the shipped types check an ESM and a CommonJS consumer (and catch their type errors); the library serves a client', async (t) => {
    if (!requireInstall(t)) return;
    writeFileSync(join(project, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(join(project, 'consumer-types.cts'), CONSUMER_CTS);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG));
    ok(run(process.execPath, [TSC, '-p', 'tsconfig.json'], project), 'tsc on the consumer');

    const server = await startCommand(process.execPath, [join(project, 'out/consumer.js')], {
      stderr: 'pipe',
      ready: (line) => /^ready \d+ (EngineServer .*)$/.exec(line)?.[1],
    });
    try {
      // The welcome count and the ack's reply, as parley/client received them from the server.
      assert.equal(server.ready, 'EngineServer 1 hi PACK');
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });

  test("CommonJS: require('parley')(httpServer, opts) makes a Server, require('parley').Server too", async (t) => {
    if (!requireInstall(t)) return;
    writeFileSync(join(project, 'consumer-cjs.cjs'), CONSUMER_CJS);
    const result = spawnSync(process.execPath, ['consumer-cjs.cjs'], {
      cwd: project,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.equal(result.stdout.trim(), 'ready function Server function from cjs');
  });

  test('the installed bin runs compiled, without tsx: --help, and serve with the chat page', async (t) => {
    if (!requireInstall(t)) return;
    assert.equal(existsSync(join(project, 'node_modules/tsx')), false, 'tsx is not a dependency of parley');
    const help = ok(run('npx', ['--no-install', 'parley', '--help'], project), 'npx parley --help');
    assert.match(help, /Usage: parley \[options\] \[command\]/);
    assert.match(help, /serve \[options\] +run the chat server/);
    assert.match(help, /Examples:/);

    const bin = join(project, 'node_modules/.bin/parley');
    const chat = await startCommand(bin, ['--port', '0', '--host', '127.0.0.1', '--db', ':memory:'], {
      stderr: 'pipe',
      ready: (line) => /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(line)?.[1],
    });
    try {
      const page = await fetch(`${chat.ready}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /\/ws\/chat\//, 'index.html comes from dist/chat/public');
      assert.equal((await fetch(`${chat.ready}/app.js`)).status, 200);
      assert.equal((await fetch(`${chat.ready}/ws/chat/socket.io.min.js`)).status, 200);
    } finally {
      assert.equal((await chat.stop()).code, 0);
    }
    // npm runs the bin file itself (no `node` in front of it): it must say which interpreter.
    const compiled = readFileSync(join(project, 'node_modules/parley/dist/cli/main.js'), 'utf8');
    assert.equal(compiled.split('\n')[0], '#!/usr/bin/env node');
  });
});
