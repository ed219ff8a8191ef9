// Runs the real CLI as a child process, from compiled output or (under tsx) from source.
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

const fromSource = import.meta.url.endsWith('.ts');
const CLI = fileURLToPath(new URL(`../../src/cli.${fromSource ? 'ts' : 'js'}`, import.meta.url));

export function spawnCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A CLI child that the test ends with it (killed if still running), and its exit code once it exits. */
export function startCli(t: TestContext, args: string[]): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawnCli(args);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, exited };
}

export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The child's stdout as parsed JSON log lines, growing as they come. */
export function jsonLinesOf(child: ChildProcess): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  child.stdout!.on('data', (c: Buffer) => {
    buffered += c.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      lines.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
      buffered = buffered.slice(nl + 1);
    }
  });
  return lines;
}
