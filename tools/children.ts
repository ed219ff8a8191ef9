// The child processes of a run (routers, simulated fleets, peer proxies): spawned with
// pipes (and an IPC channel on request), their stdout read as JSON lines, the last lines
// of both streams kept for error reports, and all of them stopped on exit, error or
// Ctrl-C: SIGTERM, then SIGKILL after a grace period.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { NODE_ARGS } from './paths.js';

const TAIL_LINES = 40;

type Stream = 'stdout' | 'stderr';
type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface SpawnOptions {
  /** Node flags before the script (--expose-gc, --cpu-prof, ...). */
  readonly nodeArgs?: readonly string[];
  /** An IPC channel: `proc.send()`, and messages for waitForMessage. */
  readonly ipc?: boolean;
}

export class Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  private readonly tail: string[] = [];
  private readonly jsonListeners = new Set<(obj: Record<string, unknown>) => void>();
  private readonly lineListeners = new Set<(line: string, stream: Stream) => void>();
  private expectedExit = false;
  readonly exited: Promise<Exit>;
  exitInfo: Exit | null = null;

  constructor(
    readonly name: string,
    args: readonly string[],
    options: SpawnOptions,
    private readonly onUnexpectedExit: (child: Child) => void,
  ) {
    this.proc = spawn(process.execPath, [...NODE_ARGS, ...(options.nodeArgs ?? []), ...args], {
      stdio: options.ipc === true ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
    });
    if (this.proc.pid === undefined) throw new Error(`could not start ${name}`);
    this.pid = this.proc.pid;
    // Always drain both pipes: a full pipe would block the child.
    createInterface({ input: this.proc.stdout! }).on('line', (line) => this.receive(line, 'stdout'));
    createInterface({ input: this.proc.stderr! }).on('line', (line) => this.receive(line, 'stderr'));
    // Its stdin stays open: a child that watches it for 'end' leaves when this process dies.
    this.proc.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
        if (!this.expectedExit) this.onUnexpectedExit(this);
      });
    });
  }

  private receive(line: string, stream: Stream): void {
    this.tail.push(`${stream}: ${line}`);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    for (const l of this.lineListeners) l(line, stream);
    if (stream !== 'stdout' || !line.startsWith('{')) return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof obj === 'object' && obj !== null) for (const l of this.jsonListeners) l(obj as Record<string, unknown>);
  }

  /** Every later line of output, until the child exits. */
  onLine(listener: (line: string, stream: Stream) => void): void {
    this.lineListeners.add(listener);
  }

  /** Every later stdout JSON line, until the child exits (a log of its events). */
  onJson(listener: (obj: Record<string, unknown>) => void): void {
    this.jsonListeners.add(listener);
  }

  /** The first stdout JSON line matching `test`, within timeoutMs. */
  waitForJson(test: (obj: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
    return this.waitFor('expected output', timeoutMs, (done) => {
      const listener = (obj: Record<string, unknown>): void => {
        if (test(obj)) done(obj);
      };
      this.jsonListeners.add(listener);
      return () => this.jsonListeners.delete(listener);
    });
  }

  /** The first IPC message matching `test` (spawned with `ipc`), within timeoutMs. */
  waitForMessage<T>(test: (msg: T) => boolean, timeoutMs: number): Promise<T> {
    return this.waitFor('expected message', timeoutMs, (done) => {
      const listener = (msg: T): void => {
        if (test(msg)) done(msg);
      };
      this.proc.on('message', listener);
      return () => this.proc.off('message', listener);
    });
  }

  private waitFor<T>(what: string, timeoutMs: number, attach: (done: (value: T) => void) => () => void): Promise<T> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | null, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        detach();
        if (err === null) resolve(value as T);
        else reject(err);
      };
      const timer = setTimeout(
        () => settle(new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.lastLines()}`)),
        timeoutMs,
      );
      const detach = attach((value) => settle(null, value));
      void this.exited.then((info) =>
        settle(new Error(`${this.name} exited (${info.code ?? info.signal}) before it was ready\n${this.lastLines()}`)),
      );
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

  /** `node [nodeArgs] args...`; args[0] is the script (see script() in paths.ts). */
  spawn(name: string, args: readonly string[], options: SpawnOptions = {}): Child {
    const child = new Child(name, args, options, (c) => {
      this.crashed ??= c;
    });
    this.children.add(child);
    return child;
  }

  /** Pids of the children still running. */
  pids(): number[] {
    return [...this.children].filter((c) => c.running).map((c) => c.pid);
  }

  /** Throws if a child exited without being asked to (the run cannot be trusted past it), with its last lines. */
  checkNoCrash(): void {
    const c = this.crashed;
    if (c !== null) {
      throw new Error(
        `${c.name} (pid ${c.pid}) exited during the run: ${JSON.stringify(c.exitInfo)}\n${c.lastLines()}`,
      );
    }
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
   * No child outlives this process: SIGINT and SIGTERM kill them all and exit 130, as does
   * an uncaught exception (exit 1). With `firstSignal`, the first signal calls it instead
   * (to stop the run gracefully) and only a second one kills. Returns the killing handler,
   * for a caller's own reasons to stop (a hard time limit).
   */
  killAllOnExit(firstSignal?: (signal: NodeJS.Signals) => void): () => void {
    let signals = 0;
    const killAll = (): void => {
      this.killAllNow();
      process.exit(130);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (firstSignal === undefined || signals > 1) killAll();
      else firstSignal(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', () => this.killAllNow());
    process.on('uncaughtException', (err) => {
      process.stderr.write(`${err.stack ?? String(err)}\n`);
      this.killAllNow();
      process.exit(1);
    });
    return killAll;
  }
}
