// The soak's router child (router-child.ts) seen from the parent: started with a config,
// sampled over IPC; what it logs at warn and above is kept for the report.
import type { Child, ChildRegistry } from '../../tools/children.js';
import { script } from '../../tools/paths.js';
import type { RouterSample } from './router-child.js';

/** The router child (router-child.ts), sampled over IPC; what it logs at warn and above is kept. */
export class RouterChild {
  private nextId = 0;
  readonly warnings: string[] = [];
  warnCount = 0;

  constructor(readonly child: Child) {
    child.onLine((line, stream) => {
      if (stream === 'stderr') {
        process.stderr.write(`router: ${line}\n`);
        return;
      }
      this.warnCount++;
      if (this.warnings.length < 30) this.warnings.push(line.length > 300 ? `${line.slice(0, 300)}...` : line);
    });
  }

  private async ask<T extends { type: string; id: number }>(msg: object, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    const type = (msg as { type: string }).type;
    const answer = this.child.waitForMessage<T>((m) => m.type === type && m.id === id, timeoutMs);
    this.child.proc.send({ ...msg, id });
    return answer;
  }

  /** Writes a heap snapshot of the router (for --snapshots); resolves once it is on disk. */
  async snapshot(path: string): Promise<void> {
    await this.ask({ type: 'snapshot', path }, 300_000);
  }

  async sample(): Promise<RouterSample> {
    return (await this.ask<{ type: string; id: number; sample: RouterSample }>({ type: 'sample' }, 30_000)).sample;
  }
}

export interface StartedRouter {
  readonly router: RouterChild;
  readonly port: number;
  readonly adminPort: number;
}

/** The router child with `config` (listeners on port 0), once it says it is ready. */
export async function startRouterChild(reg: ChildRegistry, config: Record<string, unknown>): Promise<StartedRouter> {
  const child = reg.spawn('router', [script('bench/soak/router-child'), JSON.stringify(config)], {
    nodeArgs: ['--expose-gc', '--enable-source-maps'],
    ipc: true,
  });
  const router = new RouterChild(child);
  const ready = await child.waitForMessage<{ type: string; dataPort: number; adminPort: number }>(
    (m) => m.type === 'ready',
    15_000,
  );
  return { router, port: ready.dataPort, adminPort: ready.adminPort };
}
