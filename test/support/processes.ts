/**
 * Programs of the project started as their own process (`node --import tsx <script>`), as a user
 * or `npm run` would, awaited until a line of their stdout says they are ready.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The environment every program starts with, under the caller's: `parley serve` runs one worker
 * per core unless told, and tests run one process unless they ask for workers.
 */
export const ONE_PROCESS: Readonly<Record<string, string>> = Object.freeze({ CHAT_WORKERS: '1' });

/** How long a program may take to print that it is ready. */
const STARTUP_GUARD_MS = 20_000;

export interface StartedProcess<T> {
  readonly child: ChildProcess;
  /** What `ready` returned for the line that said the program is ready. */
  readonly ready: T;
  /** Every stdout line so far. */
  readonly lines: readonly string[];
  /**
   * Stops the program with `signal` (if it still runs) and resolves with how it exited; with
   * `group` (a `detached` program), every process of its group gets the signal.
   */
  stop(
    signal?: NodeJS.Signals,
    how?: { group: boolean },
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ProcessOptions<T> {
  args?: readonly string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** 'inherit' shows the program's stderr in the test output; 'pipe' keeps it for `onStderr`. */
  stderr?: 'inherit' | 'pipe';
  onStderr?: (text: string) => void;
  /**
   * Runs the program in a process group of its own, so `stop(signal, { group: true })` signals
   * every process of it at once, as a terminal's Ctrl-C does.
   */
  detached?: boolean;
  /** Looks at each stdout line (and those before it): a value other than undefined means ready. */
  ready: (line: string, lines: readonly string[]) => T | undefined;
}

/**
 * Starts `script` under tsx and resolves once `ready` accepts a stdout line; rejects if the program
 * exits first or is not ready within 20 s.
 */
export function startProcess<T>(script: string, options: ProcessOptions<T>): Promise<StartedProcess<T>> {
  return startCommand(process.execPath, ['--import', 'tsx', script, ...(options.args ?? [])], options, script);
}

/**
 * Starts any program (`command` with `args`; `options.args` is not used) and resolves once `ready`
 * accepts a stdout line; rejects if it exits first or is not ready within 20 s.
 */
export async function startCommand<T>(
  command: string,
  args: readonly string[],
  options: ProcessOptions<T>,
  name = command,
): Promise<StartedProcess<T>> {
  const script = name;
  const child = spawn(command, args, {
    env: { ...ONE_PROCESS, ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'],
    detached: options.detached ?? false,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    options.onStderr?.(chunk.toString());
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines: string[] = [];
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${script} was not ready within ${STARTUP_GUARD_MS} ms; printed: ${lines.join('\n')}`));
    }, STARTUP_GUARD_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const value = options.ready(line, lines);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve(value);
      }
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    child,
    ready,
    lines,
    async stop(signal = 'SIGTERM', how = { group: false }) {
      if (child.exitCode === null && child.signalCode === null) {
        if (how.group && child.pid !== undefined) process.kill(-child.pid, signal);
        else child.kill(signal);
      }
      return exited;
    },
  };
}

/** An example server (`examples/<name>.ts`) on a free port (PORT=0), as `npm run example:*` would. */
export interface ExampleProcess {
  port: number;
  stop(): Promise<void>;
}

/** Starts `examples/<name>.ts` with PORT=0 and resolves with the port printed on its startup line. */
export async function startExample(name: string): Promise<ExampleProcess> {
  const started = await startProcess(`examples/${name}.ts`, {
    env: { PORT: '0' },
    ready: (line) => {
      const match = /:(\d+)\//.exec(line);
      return match ? Number(match[1]) : undefined;
    },
  });
  return {
    port: started.ready,
    async stop() {
      await started.stop('SIGTERM');
    },
  };
}
