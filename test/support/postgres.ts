/**
 * A fresh PostgreSQL per test file: `initdb` into a temp dir, `pg_ctl start` on 127.0.0.1 and a
 * free port, its unix socket in the temp dir, trust auth. PostgreSQL refuses to run as root: when
 * the tests do, the cluster belongs to the `postgres` user (or `nobody`) and runs as it. Outside CI
 * a missing PostgreSQL skips loudly; with CI=true it fails (requirements.ts).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis.js';
import { requirePeer } from './requirements.js';

const BIN_DIRS = ['/usr/local/bin', '/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

function binary(name: string): string | undefined {
  for (const dir of BIN_DIRS) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Whether initdb and pg_ctl are installed. */
export function postgresAvailable(): boolean {
  return binary('initdb') !== undefined && binary('pg_ctl') !== undefined;
}

/** Skips (or with CI=true fails) the test when PostgreSQL is missing. */
export function requirePostgres(t: { skip(message?: string): void }): boolean {
  return requirePeer(t, 'PostgreSQL (initdb, pg_ctl)', postgresAvailable(), 'apt-get install postgresql');
}

/** The user PostgreSQL runs as: this one, or a non-root one when this is root. */
function runAs(): { name: string; uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root and no postgres or nobody user to run PostgreSQL as');
}

function run(user: string | undefined, command: string, args: readonly string[]): void {
  const [file, argv] = user === undefined ? [command, args] : ['runuser', ['-u', user, '--', command, ...args]];
  const result = spawnSync(file, argv, { encoding: 'utf8', cwd: tmpdir() });
  if (result.status !== 0) throw new Error(`${command} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

export interface PostgresServer {
  /** Connection options for `pg` (TCP on 127.0.0.1, the superuser, trust auth). */
  readonly connection: { host: string; port: number; user: string; database: string };
  stop(): Promise<void>;
}

/** Creates and starts a cluster; resolves once it accepts connections. */
export async function startPostgres(): Promise<PostgresServer> {
  const initdb = binary('initdb');
  const pgCtl = binary('pg_ctl');
  if (!initdb || !pgCtl) throw new Error('PostgreSQL is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const port = await freePort();
  const superuser = user?.name ?? userInfo().username;
  run(user?.name, initdb, ['-D', data, '--auth=trust', '-U', superuser, '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  run(user?.name, pgCtl, ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '20', 'start']);
  const stop = (): void => {
    try {
      run(user?.name, pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // pg_ctl detaches the server: a test file that crashes before its `after` hook stops it on exit.
  process.once('exit', stop);
  return {
    connection: { host: '127.0.0.1', port, user: superuser, database: 'postgres' },
    stop: async () => {
      process.off('exit', stop);
      stop();
    },
  };
}
