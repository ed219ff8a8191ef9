// The real demo (`switchyard demo --port 0 --admin-port 0`) as a child process. Its
// stdout is a pipe, so log lines are JSON: the ports come from the two
// "listening" lines, the simulator's control URL from the banner.
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

export interface DemoProcess {
  readonly dataUrl: string;
  readonly adminUrl: string;
  readonly controlUrl: string;
  readonly child: ChildProcess;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

export async function startDemo(): Promise<DemoProcess> {
  const child = spawnCli(['demo', '--port', '0', '--admin-port', '0']);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const logs: Array<Record<string, unknown>> = [];
  let text = '';
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    partial += chunk.toString();
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const port = (listener: string) => () =>
      logs.find((l) => l.msg === 'listening' && l.listener === listener)?.port as number | undefined;
    const dataPort = await waitFor('the data listener line', port('data'), 20_000);
    const adminPort = await waitFor('the admin listener line', port('admin'), 20_000);
    const controlUrl = await waitFor(
      'the simulator control URL in the banner',
      () => /simulator control\s+(http:\/\/127\.0\.0\.1:\d+\/control)/.exec(text)?.[1],
      20_000,
    );
    return {
      dataUrl: `http://127.0.0.1:${dataPort}`,
      adminUrl: `http://127.0.0.1:${adminPort}`,
      controlUrl,
      child,
      stop: async () => {
        if (child.exitCode === null) child.kill('SIGINT');
        return exited;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\ndemo stderr:\n${stderr}`);
  }
}
