/** src/cli/log.ts: the loggers the `parley` subcommands share. */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createLogger, formatForTerminal, parseLogLevel } from '../../src/cli/log.js';

/** Runs `write` with a logger writing to a temporary file and returns what it wrote. */
function captured(
  level: Parameters<typeof createLogger>[0],
  pretty: boolean,
  write: (log: ReturnType<typeof createLogger>) => void,
) {
  const file = join(mkdtempSync(join(tmpdir(), 'parley-log-')), 'out.log');
  const fd = openSync(file, 'w');
  try {
    write(createLogger(level, { fd, pretty }));
  } finally {
    closeSync(fd);
  }
  return readFileSync(file, 'utf8');
}

describe('cli logger', () => {
  test('JSON lines below a terminal: level, time, pid, message and fields; lines under the level are dropped', () => {
    const out = captured('info', false, (log) => {
      log.debug('not shown');
      log.info({ port: 8000 }, 'listening');
      log.error('broken');
    });
    const lines = out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.level, 30);
    assert.equal(lines[0]?.msg, 'listening');
    assert.equal(lines[0]?.port, 8000);
    assert.equal(lines[0]?.pid, process.pid);
    assert.equal(typeof lines[0]?.time, 'number');
    assert.equal(lines[0]?.hostname, undefined);
    assert.equal(lines[1]?.level, 50);
  });

  test('on a terminal each event is one readable line', () => {
    const out = captured('trace', true, (log) => {
      log.trace('tiny');
      log.warn({ signal: 'SIGTERM', n: 2, extra: { a: 1 } }, 'shutting down');
    });
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /^\d\d:\d\d:\d\d\.\d{3} TRACE tiny$/);
    assert.match(
      lines[1] ?? '',
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}shutting down signal=SIGTERM n=2 extra=\{"a":1\}$/,
    );
  });

  test('silent logs nothing, fatal included', () => {
    assert.equal(
      captured('silent', false, (log) => log.fatal('gone')),
      '',
    );
  });

  test('formatForTerminal keeps a line that is not JSON as it is', () => {
    assert.equal(formatForTerminal('plain words'), 'plain words\n');
  });

  test('parseLogLevel takes the level names in any case and refuses others with the list', () => {
    assert.equal(parseLogLevel('DEBUG'), 'debug');
    assert.equal(parseLogLevel('silent'), 'silent');
    assert.throws(
      () => parseLogLevel('verbose'),
      /log level must be one of trace, debug, info, warn, error, fatal, silent/,
    );
  });
});
