/**
 * `npm run bench`: runs every scenario against every server, each run a fresh server process and
 * a fresh load-generator process (bench/load.ts), each scenario's servers alternated over the
 * rounds (round 1: A B C, round 2: B C A, ...), then prints medians and ratios to socket.io and writes
 * bench/RESULTS.md.
 *
 *   npm run bench                       full run, 3 rounds, writes bench/RESULTS.md
 *   npm run bench -- --quick            1 round, smaller sizes (smoke run; prints only)
 *   npm run bench -- --scenario echo --server parley,floor   filters (print only)
 *   --rounds N   --out FILE (write the report there, whatever the filters)
 *   servers: parley, parley-ownhttp (polling and connect: ownHttp on), parley-plain (fanout and echo with
 *   plain WebSocket clients), socket.io, floor, floor-polling;
 *   opt-in (only when named): floor-plain
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, type as osType, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadOutput, LoadRequest } from './load.js';
import {
  type Params,
  SCENARIOS,
  type ScenarioSpec,
  SERVERS,
  type ServerSpec,
  serversFor,
  withParams,
} from './registry.js';
import { type Meta, type RunRecord, renderReport } from './report.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FD_LIMIT = 65536;
const ULIMIT = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`;
const START_TIMEOUT_MS = 30_000;
const LOAD_TIMEOUT_MS = 150_000;
const RUN_BUDGET_MS = 20 * 60_000; // hard stop for the whole run: no new runs after this

interface Options {
  quick: boolean;
  rounds: number;
  scenarios: string[];
  servers: string[];
  out: string | undefined;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { quick: false, rounds: 0, scenarios: [], servers: [], out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') opts.quick = true;
    else if (arg === '--rounds') opts.rounds = Number(value());
    else if (arg === '--scenario') opts.scenarios.push(...value().split(','));
    else if (arg === '--server') opts.servers.push(...value().split(','));
    else if (arg === '--out') opts.out = value();
    else throw new Error(`unknown argument ${arg}`);
  }
  if (opts.rounds === 0) opts.rounds = opts.quick ? 1 : 3;
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1 || opts.rounds > 10)
    throw new Error('--rounds: 1..10');
  for (const s of opts.scenarios) {
    if (!SCENARIOS.some((x) => x.name === s)) throw new Error(`unknown scenario ${s}`);
  }
  for (const s of opts.servers) {
    if (!SERVERS.some((x) => x.name === s)) throw new Error(`unknown server ${s}`);
  }
  return opts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function nodeOptions(): string {
  const current = process.env.NODE_OPTIONS ?? '';
  return current.includes('--expose-gc') ? current : `${current} --expose-gc`.trim();
}

interface Running {
  child: ChildProcess;
  port: number;
  pid: number;
  /** Every node of a multi-node server (cluster-fanout), from its startup line's `nodes` list. */
  nodes?: { port: number; pid: number }[];
  /** More numbers a server announces (`extra name=value,...`: no-sticky's proxy ports). */
  extra?: Record<string, number>;
  exited: Promise<void>;
  stderr: () => string;
}

/** Starts a server in its own process group (so npm, tsx and node all stop together). */
function startServer(spec: ServerSpec): Promise<Running> {
  const child = spawn('sh', ['-c', ULIMIT, 'sh', ...spec.command], {
    cwd: ROOT,
    env: { ...process.env, ...spec.env, PORT: '0', NODE_OPTIONS: nodeOptions() },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    let announced = false;
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`${spec.name} did not announce its port in ${START_TIMEOUT_MS} ms: ${err}`));
    }, START_TIMEOUT_MS);
    child.stdout?.on('data', (c: Buffer) => {
      if (announced) return;
      out += c.toString();
      const m = /bench-server \S+ listening on 127\.0\.0\.1:(\d+) pid (\d+)(?: nodes (\S+))?/.exec(out);
      // The whole line: a node list may come in more than one chunk.
      if (m && out.includes('\n', m.index)) {
        clearTimeout(timer);
        announced = true;
        const line = out.slice(m.index, out.indexOf('\n', m.index));
        out = '';
        const running: Running = { child, port: Number(m[1]), pid: Number(m[2]), exited, stderr: () => err };
        if (m[3] !== undefined) {
          running.nodes = m[3].split(',').map((node) => {
            const [port, pid] = node.split(':').map(Number);
            return { port: port!, pid: pid! };
          });
        }
        const extra = / extra (\S+)/.exec(line);
        if (extra !== null) {
          running.extra = Object.fromEntries(
            extra[1]!.split(',').map((entry) => {
              const [name, value] = entry.split('=');
              return [name!, Number(value)];
            }),
          );
        }
        resolve(running);
      } else if (out.length > 100_000) {
        out = out.slice(-1000);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited (${code}) before listening: ${err.trim()}`));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopServer(server: Running): Promise<void> {
  killGroup(server.child, 'SIGTERM');
  const stopped = await Promise.race([server.exited.then(() => true), sleep(3000).then(() => false)]);
  if (!stopped) killGroup(server.child, 'SIGKILL');
  // The serving node process may outlive the group leader for a moment.
  for (let i = 0; i < 30 && existsSync(`/proc/${server.pid}`); i++) await sleep(100);
  if (existsSync(`/proc/${server.pid}`)) {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

function runLoad(req: LoadRequest): Promise<LoadOutput> {
  const child = spawn(
    'sh',
    ['-c', ULIMIT, 'sh', process.execPath, '--import', 'tsx', 'bench/load.ts', JSON.stringify(req)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    const text = c.toString();
    err = (err + text).slice(-4000);
    process.stderr.write(text);
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), req.timeoutMs + 10_000);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      clearTimeout(killer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as LoadOutput);
      else
        reject(new Error(`load generator exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

function shellValue(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function brief(spec: ScenarioSpec, params: Params, out: LoadOutput): string {
  const parts = spec.metrics
    .filter((m) => m.key !== 'lost' && out.metrics[m.key] !== undefined)
    .map((m) => `${withParams(m.label, params)} ${Number(out.metrics[m.key]).toFixed(m.digits)}`);
  return `${parts.join(', ')}, lost ${out.lost}${out.notes.length ? ` [${out.notes.join('; ')}]` : ''}`;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const servers = SERVERS.filter((s) =>
    opts.servers.length === 0 ? s.optIn !== true : opts.servers.includes(s.name),
  );
  const scenarios = SCENARIOS.filter((s) => opts.scenarios.length === 0 || opts.scenarios.includes(s.name));
  const clkTck = Number(shellValue('getconf', ['CLK_TCK'])) || 100;
  const fdLimit = Number(shellValue('sh', ['-c', `ulimit -n ${FD_LIMIT} 2>/dev/null; ulimit -n`])) || 0;
  const started = Date.now();
  const records: RunRecord[] = [];
  const argv = process.argv.slice(2);

  console.log(
    `bench: ${opts.rounds} round(s)${opts.quick ? ' (quick)' : ''}; servers ${servers.map((s) => s.name).join(', ')}; ` +
      `fd limit ${fdLimit}; CLK_TCK ${clkTck}`,
  );
  for (let round = 0; round < opts.rounds; round++) {
    console.log(`\n## round ${round + 1}/${opts.rounds}`);
    for (const spec of scenarios) {
      if (spec.pending !== undefined) continue;
      const params = opts.quick ? spec.quick : spec.full;
      // Rotated among the scenario's own servers: rotating the whole list would give two rounds
      // the same order whenever the server that moves to the front does not run the scenario.
      const running = serversFor(spec, servers);
      const order = running.map((_, i) => running[(i + round) % running.length]!);
      for (const server of order) {
        if (Date.now() - started > RUN_BUDGET_MS) {
          records.push({ round, server: server.name, scenario: spec.name, error: 'run budget exhausted' });
          continue;
        }
        const needFds = (params.large ?? params.total ?? params.clients ?? 0) + 1000;
        if (fdLimit > 0 && fdLimit < needFds) {
          records.push({
            round,
            server: server.name,
            scenario: spec.name,
            error: `fd limit ${fdLimit} < ${needFds}`,
          });
          continue;
        }
        const t0 = Date.now();
        let running: Running | undefined;
        try {
          running = await startServer(server);
          const out = await runLoad({
            scenario: spec.name,
            port: running.port,
            pid: running.pid,
            clkTck,
            params,
            timeoutMs: LOAD_TIMEOUT_MS,
            clientProtocol: server.clientProtocol ?? 'socket.io',
            ...(running.nodes === undefined ? {} : { nodes: running.nodes }),
            ...(running.extra === undefined ? {} : { extra: running.extra }),
          });
          if (!existsSync(`/proc/${running.pid}`)) {
            out.notes.push(`server exited during the run: ${running.stderr().trim().slice(-300)}`);
          }
          records.push({ round, server: server.name, scenario: spec.name, output: out });
          console.log(
            `${spec.name.padEnd(8)} ${server.name.padEnd(12)} ${brief(spec, params, out)} (${Date.now() - t0} ms)`,
          );
        } catch (err) {
          const serverErr = running?.stderr().trim().slice(-300);
          const msg = `${err instanceof Error ? err.message : String(err)}${serverErr ? ` (server stderr: ${serverErr})` : ''}`;
          records.push({ round, server: server.name, scenario: spec.name, error: msg });
          console.log(`${spec.name.padEnd(8)} ${server.name.padEnd(12)} FAILED: ${msg}`);
        } finally {
          if (running) await stopServer(running);
        }
        await sleep(300);
      }
    }
  }

  const cpuList = cpus();
  const meta: Meta = {
    cpu: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    os: `${osType()} ${release()}`,
    date: new Date().toISOString(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    rounds: opts.rounds,
    quick: opts.quick,
    wallSeconds: (Date.now() - started) / 1000,
    clkTck,
    fdLimit,
  };
  const optimizations = join(ROOT, 'bench', 'OPTIMIZATIONS.md');
  const fixes = existsSync(optimizations) ? `\n${readFileSync(optimizations, 'utf8')}` : '';
  const report = renderReport(meta, scenarios, servers, records) + fixes;
  console.log(`\n${report}`);
  const filtered = opts.scenarios.length > 0 || opts.servers.length > 0;
  const out = opts.out ?? (opts.quick || filtered ? undefined : join(ROOT, 'bench', 'RESULTS.md'));
  if (out !== undefined) {
    writeFileSync(out, report);
    console.log(`wrote ${out}`);
  }
  const lost = records.some((r) => (r.output?.lost ?? 0) !== 0);
  const failed = records.some((r) => r.error !== undefined);
  process.exitCode = lost || failed ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
});
