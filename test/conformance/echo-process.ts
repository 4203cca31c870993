import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** An example server started as its own process on a free port, as `npm run example:*` would. */
export interface ExampleProcess {
  port: number;
  stop(): Promise<void>;
}

/** Starts `examples/<name>.ts` with PORT=0 and resolves with the port printed on its startup line. */
export async function startExample(name: string): Promise<ExampleProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', `examples/${name}.ts`], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`examples/${name}.ts printed no port within 20 s`)), 20_000);
    child.once('exit', (code) => reject(new Error(`examples/${name}.ts exited with ${code}`)));
    lines.on('line', (line) => {
      const match = /:(\d+)\//.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  return {
    port,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
