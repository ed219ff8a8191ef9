// The child processes of a run (backends, proxies): spawned with pipes, their stdout
// read as JSON lines, stderr kept (last lines) for error reports, and all of them
// stopped on exit, error or Ctrl-C: SIGTERM, then SIGKILL after a grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const TAIL_LINES = 40;

export class Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  private readonly tail: string[] = [];
  private readonly listeners = new Set<(obj: Record<string, unknown>) => void>();
  private expectedExit = false;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(
    readonly name: string,
    args: readonly string[],
    private readonly onUnexpectedExit: (child: Child) => void,
  ) {
    this.proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    if (this.proc.pid === undefined) throw new Error(`could not start ${name}`);
    this.pid = this.proc.pid;
    // Always drain both pipes: a full pipe would block the child.
    createInterface({ input: this.proc.stdout! }).on('line', (line) => this.onLine(line, 'stdout'));
    createInterface({ input: this.proc.stderr! }).on('line', (line) => this.onLine(line, 'stderr'));
    this.proc.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
        if (!this.expectedExit) this.onUnexpectedExit(this);
      });
    });
  }

  private onLine(line: string, stream: 'stdout' | 'stderr'): void {
    this.tail.push(`${stream}: ${line}`);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    if (stream !== 'stdout' || !line.startsWith('{')) return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof obj === 'object' && obj !== null) for (const l of this.listeners) l(obj as Record<string, unknown>);
  }

  /** Every later stdout JSON line, until the child exits (a log of its events). */
  onJson(listener: (obj: Record<string, unknown>) => void): void {
    this.listeners.add(listener);
  }

  /** The first stdout JSON line matching `test`, within timeoutMs. */
  waitForJson(test: (obj: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`${this.name}: no expected output within ${timeoutMs} ms\n${this.lastLines()}`));
      }, timeoutMs);
      const listener = (obj: Record<string, unknown>): void => {
        if (!test(obj)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(obj);
      };
      this.listeners.add(listener);
      void this.exited.then((info) => {
        clearTimeout(timer);
        if (this.listeners.delete(listener)) {
          reject(
            new Error(`${this.name} exited (${info.code ?? info.signal}) before it was ready\n${this.lastLines()}`),
          );
        }
      });
    });
  }

  lastLines(): string {
    return this.tail.map((l) => `    ${l}`).join('\n');
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  async stop(graceMs = 3000): Promise<void> {
    this.expectedExit = true;
    if (!this.running) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  killNow(): void {
    this.expectedExit = true;
    if (this.running) this.proc.kill('SIGKILL');
  }
}

/** Every child of this run, so that one call stops them all. */
export class ChildRegistry {
  private readonly children = new Set<Child>();
  private crashed: Child | null = null;

  spawn(name: string, args: readonly string[]): Child {
    const child = new Child(name, args, (c) => {
      this.crashed ??= c;
    });
    this.children.add(child);
    return child;
  }

  /** Pids of the children still running. */
  pids(): number[] {
    return [...this.children].filter((c) => c.running).map((c) => c.pid);
  }

  /** A child that exited without being asked to: the run cannot be trusted past it. */
  crashedChild(): Child | null {
    return this.crashed;
  }

  async stop(child: Child): Promise<void> {
    await child.stop();
    this.children.delete(child);
    // One that died while starting was reported by its starter, not as a crash mid-run.
    if (this.crashed === child) this.crashed = null;
  }

  async stopAll(): Promise<void> {
    const all = [...this.children];
    this.children.clear();
    await Promise.all(all.map((c) => c.stop()));
  }

  /** Synchronous last resort for process 'exit'. */
  killAllNow(): void {
    for (const c of this.children) c.killNow();
    this.children.clear();
  }

  /**
   * No child outlives this process: SIGINT and SIGTERM kill them all and exit 130.
   * Returns that handler, for a caller's own reasons to stop (a hard time limit).
   */
  killAllOnExit(): () => void {
    const onSignal = (): void => {
      this.killAllNow();
      process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', () => this.killAllNow());
    return onSignal;
  }
}
