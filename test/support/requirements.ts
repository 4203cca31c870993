import { spawnSync } from 'node:child_process';

/**
 * Tests that drive a system peer (python-socketio, Flask, Redis, Chromium) call this first.
 * Outside CI a missing peer skips the test with a loud message; with CI=true it fails the test,
 * because CI installs every peer (.ci/run) and a skip there would hide a broken install.
 */
export function requirePeer(
  t: { skip(message?: string): void },
  what: string,
  available: boolean,
  installHint: string,
): boolean {
  if (available) return true;
  const message = `${what} is not installed (${installHint})`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  console.warn(`\n!!! SKIPPING: ${message} !!!\n`);
  t.skip(message);
  return false;
}

/** Whether Debian's python3 can import the given modules. */
export function pythonHas(...modules: string[]): boolean {
  const result = spawnSync('/usr/bin/python3', ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
  return result.status === 0;
}
