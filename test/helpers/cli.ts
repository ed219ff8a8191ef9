// Runs the real CLI as a child process, from compiled output or (under tsx) from source.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fromSource = import.meta.url.endsWith('.ts');
const CLI = fileURLToPath(new URL(`../../src/cli.${fromSource ? 'ts' : 'js'}`, import.meta.url));

export function spawnCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
