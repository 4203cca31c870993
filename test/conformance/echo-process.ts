import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

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

/** A raw WebSocket Engine.IO client: frames in a queue, awaited one at a time. */
export class RawSocket {
  private readonly frames: (string | Buffer)[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      // Heartbeats are answered as they come, whether or not the test is reading.
      if (!isBinary && data.toString() === '2') {
        ws.send('3');
        return;
      }
      this.frames.push(isBinary ? (data as Buffer) : data.toString());
      this.waiter?.();
    });
    ws.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  /** Opens a websocket-only Engine.IO session and consumes the open packet. */
  static async open(url: string): Promise<{ socket: RawSocket; handshake: Record<string, unknown> }> {
    const ws = new WebSocket(url);
    const socket = new RawSocket(ws);
    await once(ws, 'open');
    const open = await socket.next();
    if (typeof open !== 'string' || !open.startsWith('0')) throw new Error(`expected an open packet, got ${open}`);
    return { socket, handshake: JSON.parse(open.slice(1)) };
  }

  send(frame: string | Buffer): void {
    this.ws.send(frame);
  }

  /** The next frame (pings never reach the queue). Rejects if the socket closes first. */
  async next(timeoutMs = 5000): Promise<string | Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame !== undefined) {
        return frame;
      }
      if (this.closed) throw new Error('socket closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Resolves once the server has closed the connection. */
  async closedByServer(timeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    const timer = setTimeout(() => this.ws.terminate(), timeoutMs);
    await once(this.ws, 'close');
    clearTimeout(timer);
  }

  close(): void {
    this.ws.close();
  }
}
