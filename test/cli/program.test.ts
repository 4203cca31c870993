/** The `parley` program around its subcommands: help with examples, --log-level, one-line startup failures. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { ONE_PROCESS, startProcess } from '../support/processes.js';
import { requireRedis, startRedis } from '../support/redis.js';

function runCli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...ONE_PROCESS, ...process.env, LOG_LEVEL: '', ...env },
    // A CLI that hangs fails its test instead of holding the run.
    timeout: 60_000,
  });
}

/** Parses stderr as pino's JSON lines (stderr is a pipe here, so the logger writes JSON). */
/** Starts the CLI with `args`, collecting its stderr, until it prints its limits line; `stop` ends it with SIGTERM. */
async function startLogged(args: string[], env: Record<string, string>) {
  let stderr = '';
  const started = await startProcess('src/cli/main.ts', {
    args,
    env,
    stderr: 'pipe',
    onStderr: (text) => {
      stderr += text;
    },
    ready: (line, lines) => (line.includes('limits:') ? [...lines] : undefined),
  });
  return {
    banner: started.ready,
    stop: async () => ({ code: (await started.stop('SIGTERM')).code, stderr }),
  };
}

function jsonLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('parley program', () => {
  test('--help lists the subcommands and examples; each subcommand help shows its examples and --log-level', () => {
    const top = runCli(['--help']);
    assert.equal(top.status, 0);
    assert.match(top.stdout, /Usage: parley \[options\] \[command\]/);
    assert.match(top.stdout, /^ {2}serve \[options\] +run the chat server \(the default\)$/m);
    assert.match(
      top.stdout,
      /--log-level <level> +what to log: trace, debug, info, warn, error, fatal,\s+silent/,
    );
    assert.match(top.stdout, /Examples:\n {2}\$ parley /);
    const serve = runCli(['serve', '--help']);
    assert.equal(serve.status, 0);
    assert.match(serve.stdout, /Usage: parley serve \[options\]/);
    assert.match(serve.stdout, /--cors-origin <origin>/);
    assert.match(serve.stdout, /Global Options:\n {2}--log-level <level>/);
    assert.match(serve.stdout, /Examples:\n {2}\$ parley\b/);
    assert.match(serve.stdout, /\$ parley serve --port 3000 --db :memory:/);
  });

  test('a port in use is one plain line on stderr and exit 1, without a stack trace', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as { port: number };
    try {
      const result = runCli(['--port', String(port), '--host', '127.0.0.1', '--db', ':memory:']);
      assert.equal(result.status, 1);
      assert.equal(result.stdout, '', 'no banner for a server that did not start');
      assert.equal(
        result.stderr,
        `parley: cannot start the chat server: port ${port} on 127.0.0.1 is already in use: stop what listens there, or choose another port with --port (or PORT)\n`,
      );
      assert.doesNotMatch(result.stderr, /\n\s+at /);

      // --log-level before the subcommand: the failure is also a debug event, then the same line.
      const logged = runCli([
        '--log-level',
        'debug',
        'serve',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--db',
        ':memory:',
      ]);
      assert.equal(logged.status, 1);
      const [event, line, ...rest] = logged.stderr.split('\n');
      assert.deepEqual(rest, ['']);
      assert.equal(line, result.stderr.trimEnd());
      const entry = JSON.parse(event ?? '') as Record<string, unknown>;
      assert.equal(entry.level, 20);
      assert.equal(entry.exitCode, 1);
      assert.equal(`parley: ${String(entry.msg)}`, line);
    } finally {
      blocker.close();
    }
  });

  test('--log-level, given after the subcommand too, logs start and shutdown on stderr as JSON; the banner stays on stdout', async () => {
    const started = await startLogged(
      ['serve', '--port', '0', '--host', '127.0.0.1', '--db', ':memory:', '--log-level', 'debug'],
      { LOG_LEVEL: '' },
    );
    assert.match(started.banner[0] ?? '', /^parley chat listening on http:\/\/127\.0\.0\.1:\d+\/$/);
    const { code, stderr } = await started.stop();
    assert.equal(code, 0);
    const entries = jsonLines(stderr);
    assert.deepEqual(
      entries.map((e) => [e.level, e.msg]),
      [
        [20, 'chat server started'],
        [30, 'shutting down'],
        [30, 'stopped'],
      ],
    );
    assert.equal(entries[1]?.signal, 'SIGTERM');
  });

  test('with --redis, the cluster link logs through pino too: JSON lines on stderr, not console text', async (t) => {
    if (!requireRedis(t)) return;
    const redis = await startRedis();
    t.after(() => redis.stop());
    const started = await startLogged(
      ['serve', '--port', '0', '--host', '127.0.0.1', '--db', ':memory:', '--redis', redis.url],
      { LOG_LEVEL: '' },
    );
    const { code, stderr } = await started.stop();
    assert.equal(code, 0);
    const entries = jsonLines(stderr);
    const ready = entries.filter((e) => e.msg === 'redis connection ready').map((e) => e.client);
    assert.deepEqual(ready.sort(), ['pub', 'sub']);
  });

  test('LOG_LEVEL sets the level (silent: nothing on stderr); a bad level is refused before anything starts', async () => {
    const started = await startLogged(['--port', '0', '--host', '127.0.0.1', '--db', ':memory:'], {
      LOG_LEVEL: 'silent',
    });
    const { code, stderr } = await started.stop();
    assert.equal(code, 0);
    assert.equal(stderr, '');

    const bad = runCli(['--port', '0', '--db', ':memory:'], { LOG_LEVEL: 'loud' });
    assert.notEqual(bad.status, 0);
    assert.match(
      bad.stderr,
      /value 'loud' from env 'LOG_LEVEL' is invalid\. log level must be one of trace, debug/,
    );
    const flag = runCli(['--log-level', 'verbose', 'serve']);
    assert.notEqual(flag.status, 0);
    assert.match(flag.stderr, /argument 'verbose' is invalid\. log level must be one of/);
  });

  test('a Redis that cannot be reached at start is one line and exit 1, without the password, not a wait for ever', () => {
    // Port 1 on loopback: nothing listens, every connection attempt is refused.
    const result = runCli(['serve', '--port', '0', '--db', ':memory:', '--redis', 'redis://user:secret@127.0.0.1:1']);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /parley: cannot start the chat server: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/,
    );
    assert.doesNotMatch(result.stderr, /secret/);
  });

  test('--node-id and --advertise are checked, and refused without --redis', () => {
    const badId = runCli(['serve', '--node-id', 'a.b', '--redis', 'redis://127.0.0.1:1']);
    assert.notEqual(badId.status, 0);
    assert.match(badId.stderr, /node id must be 1 to 32 of A-Z a-z 0-9 _ -/);
    const badAddress = runCli(['serve', '--advertise', '10.0.0.1', '--redis', 'redis://127.0.0.1:1']);
    assert.notEqual(badAddress.status, 0);
    assert.match(badAddress.stderr, /advertise must be host:port/);
    const alone = runCli(['serve', '--port', '0', '--db', ':memory:', '--node-id', 'n1']);
    assert.equal(alone.status, 1);
    assert.match(alone.stderr, /--node-id and --advertise \(CHAT_NODE_ID, CHAT_ADVERTISE\) need --redis/);
  });
});
