/**
 * Logging for the `parley` commands, through pino, on stderr: stdout stays for what a command
 * prints as its output (the chat's startup banner, a probe's report), so it can be piped or read
 * by a program without log lines in between.
 *
 * On a terminal each event is one readable line (`12:00:01.250 INFO  shutting down signal=SIGTERM`);
 * anywhere else (a pipe, a file, a log collector) it is pino's JSON, one object a line.
 * Writes are synchronous, so a line logged just before `process.exit` is not lost.
 */
import { writeSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** The values of `--log-level` / `LOG_LEVEL`, most verbose first; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level when neither `--log-level` nor `LOG_LEVEL` says otherwise. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * Commander argument parser for `--log-level` / `LOG_LEVEL`: one of LOG_LEVELS, case-insensitive.
 * An empty value is the default, as an empty variable is unset for every other flag of parley.
 */
export function parseLogLevel(value: string): LogLevel {
  const level = value.trim().toLowerCase();
  if (level === '') return DEFAULT_LOG_LEVEL;
  if (!isLogLevel(level)) throw new InvalidArgumentError(`log level must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/** pino's numeric levels, named in the terminal form (padded so messages line up). */
const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields pino adds to every line; the terminal form shows time and level its own way. */
const FRAMING = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/** One JSON log line as a terminal line: local time, level, message, then other fields as key=value. */
export function formatForTerminal(jsonLine: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time) : new Date();
  const clock = [time.getHours(), time.getMinutes(), time.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
  const level = LEVEL_NAMES[entry.level as number] ?? String(entry.level);
  const fields = Object.entries(entry)
    .filter(([key]) => !FRAMING.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const ms = String(time.getMilliseconds()).padStart(3, '0');
  return `${clock}.${ms} ${level} ${String(entry.msg ?? '')}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}\n`;
}

/** Where log lines go: a file descriptor, written synchronously, pretty or JSON. */
function destination(fd: number, pretty: boolean): DestinationStream {
  return {
    write(line: string) {
      writeSync(fd, pretty ? formatForTerminal(line) : line);
    },
  };
}

export interface LoggerOptions {
  /** File descriptor to write to. @default 2 (stderr) */
  fd?: number;
  /** Terminal lines instead of JSON. @default whether `fd` is a terminal */
  pretty?: boolean;
}

/**
 * A logger at `level`, for a `parley` subcommand (the program's `--log-level` reaches each
 * subcommand's action as `command.optsWithGlobals().logLevel`).
 */
export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const fd = options.fd ?? 2;
  const pretty =
    options.pretty ?? (fd === 2 ? process.stderr.isTTY === true : fd === 1 && process.stdout.isTTY === true);
  return pino(
    {
      level,
      // The pid tells apart two servers logging into one collector; the hostname is the
      // collector's business and only lengthens every line.
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.epochTime,
    },
    destination(fd, pretty),
  );
}

/** The logger of this run of `parley`: set from `--log-level` before a subcommand's action runs. */
let current: Logger | undefined;

/** Makes `logger()` (and so `fail`) log at `level`; main.ts calls it before each action. */
export function useLogLevel(level: LogLevel): Logger {
  current = createLogger(level);
  return current;
}

/** The logger of this run, at the level `--log-level` / `LOG_LEVEL` asked for. */
export function logger(): Logger {
  current ??= createLogger(
    isLogLevel(process.env.LOG_LEVEL ?? '') ? (process.env.LOG_LEVEL as LogLevel) : DEFAULT_LOG_LEVEL,
  );
  return current;
}

/**
 * Ends the command for a reason the user can act on (a bad URL, a port in use, an unreachable
 * upstream): one plain line `parley: <message>` on stderr, exit status 1, no stack trace. It is
 * the command's answer rather than a log event, so it is plain text (as commander's own `error:`
 * lines) whatever the log level or format; the log gets a debug entry with the same message.
 * For an error caught from a library, pass `describeError(err)` rather than the error itself.
 */
export function fail(message: string): never {
  logger().debug({ exitCode: 1 }, message);
  writeSync(2, `parley: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
}

/** An error's message alone: what a user reads in a `fail` line, without the stack. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
