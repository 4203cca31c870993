/**
 * `parley probe <url>`: asks an endpoint what it speaks and prints the verdict, the evidence and
 * connect code (or `--json`). Exit code 0: it speaks what `--expect` names (anything, without it);
 * 1: it does not; 2: unreachable.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_CHECK_TIMEOUT_MS,
  type Expectation,
  formatReport,
  type ProbeOptions,
  probe,
} from '../probe/index.js';

function timeout(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 60_000)
    throw new InvalidArgumentError('timeout must be an integer from 1 to 60000 (ms)');
  return n;
}

function auth(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`auth must be a JSON object, e.g. '{"token":"x"}'`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`auth must be a JSON object, e.g. '{"token":"x"}'`);
  }
  return parsed as Record<string, unknown>;
}

function namespace(value: string): string {
  if (!value.startsWith('/')) throw new InvalidArgumentError('namespace must start with "/"');
  return value;
}

function origin(value: string): string {
  try {
    const url = new URL(value);
    if (url.origin === 'null') throw new Error('opaque');
    return url.origin;
  } catch {
    throw new InvalidArgumentError('origin must be scheme://host[:port], e.g. https://app.example.com');
  }
}

interface ProbeFlags {
  json?: boolean;
  expect?: Expectation;
  namespace?: string;
  auth?: Record<string, unknown>;
  origin?: string;
  timeout?: number;
}

const EXAMPLES = `
Examples:
  $ parley probe http://10.88.216.33:8000/ws/chat/
      what the endpoint speaks, and why new WebSocket('ws://10.88.216.33:8000/ws/chat/') fails
  $ parley probe ws://localhost:8000/ws/chat/ --expect websocket
      exit 0 only if a plain WebSocket client can connect there
  $ parley probe http://localhost:3000 --namespace /admin --auth '{"token":"x"}'
      a CONNECT to /admin with an auth payload (the default path /socket.io/ is tried too)
  $ parley probe https://chat.example.com/socket.io/ --origin https://app.example.com --json
      whether pages from app.example.com are let in, as a JSON report

Exit codes: 0 the endpoint speaks what --expect names (without --expect: Socket.IO or WebSocket),
1 it does not, 2 unreachable.`;

/** The `probe` command, for `program.addCommand(probeCommand())`. */
export function probeCommand(): Command {
  return new Command('probe')
    .argument(
      '<url>',
      'the endpoint: http(s):// or ws(s)://host:port/path (the path is the Socket.IO or WebSocket path)',
    )
    .description(
      'find out what an endpoint speaks (Socket.IO, Engine.IO version, plain WebSocket) and why a client fails',
    )
    .option('--json', 'print the report as JSON')
    .addOption(
      new Option('--expect <protocol>', 'exit 1 unless the endpoint speaks it').choices([
        'socketio',
        'websocket',
      ]),
    )
    .option('--namespace <nsp>', 'namespace of the Socket.IO CONNECT (default /)', namespace)
    .option('--auth <json>', 'auth payload of the CONNECT, a JSON object', auth)
    .option('--origin <origin>', 'check whether a page from this origin is let in (CORS, Origin)', origin)
    .option('--timeout <ms>', `timeout of each check (default ${DEFAULT_CHECK_TIMEOUT_MS})`, timeout)
    .addHelpText('after', EXAMPLES)
    .action(async (url: string, flags: ProbeFlags) => {
      const options: ProbeOptions = {
        ...(flags.expect ? { expect: flags.expect } : {}),
        ...(flags.namespace ? { namespace: flags.namespace } : {}),
        ...(flags.auth ? { auth: flags.auth } : {}),
        ...(flags.origin ? { origin: flags.origin } : {}),
        ...(flags.timeout ? { timeoutMs: flags.timeout } : {}),
      };
      const report = await probe(url, options);
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : formatReport(report, process.stdout.columns || 100),
      );
      // exitCode, not exit(): stdout is flushed before the process ends, even into a pipe.
      process.exitCode = report.exitCode;
    });
}
