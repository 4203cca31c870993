#!/usr/bin/env node
/**
 * The `parley` command: `serve` (the chat server, the default: `npm start`, `npx parley`) and the
 * other subcommands, each defined in its own src/cli/<name>-command.ts and registered below with
 * one line. Options of the program itself (`--log-level`) reach every subcommand.
 */
import { Command, Option } from 'commander';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS, type LogLevel, parseLogLevel, useLogLevel } from './log.js';
import { serveCommand } from './serve-command.js';
import { probeCommand } from './probe-command.js';
import { gatewayCommand } from './gateway-command.js';

/** Shown after `parley --help`. */
const EXAMPLES = `
Examples:
  $ parley                              run the chat server on http://localhost:8000/
  $ parley serve --port 3000 --db :memory:
  $ parley --log-level debug serve      log more (on stderr; LOG_LEVEL=debug too)
  $ parley probe http://localhost:8000/ws/chat/     what an endpoint speaks, and why a client fails
  $ parley gateway --upstream http://localhost:8000 --path /ws/chat/ --listen 127.0.0.1:8080
  $ parley help serve                   every flag of a subcommand

Logs go to stderr: readable lines on a terminal, JSON lines otherwise.`;

const program = new Command('parley')
  .description('A Socket.IO server that plain WebSocket clients can use too')
  .addOption(
    new Option('--log-level <level>', `what to log: ${LOG_LEVELS.join(', ')}`)
      .env('LOG_LEVEL')
      .default(DEFAULT_LOG_LEVEL)
      .argParser(parseLogLevel),
  )
  .showHelpAfterError()
  .addHelpText('after', EXAMPLES);

// Subcommands, one line each (`program.addCommand(probeCommand())` and the like), above the loop below.
program.addCommand(serveCommand(), { isDefault: true });
program.addCommand(probeCommand());
program.addCommand(gatewayCommand());

// Commands added with addCommand do not inherit the program's settings: every subcommand's help
// lists --log-level too, and a bad flag of a subcommand is followed by that subcommand's help.
for (const command of program.commands) {
  command.configureHelp({ showGlobalOptions: true });
  command.showHelpAfterError();
}

// The logger is made before any action runs, so every subcommand logs at the level asked for.
program.hook('preAction', (_program, action) => {
  useLogLevel(action.optsWithGlobals<{ logLevel: LogLevel }>().logLevel);
});

await program.parseAsync(process.argv);
