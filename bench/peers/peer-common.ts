// What both peer proxies share: backend URLs from argv, the listening line on stdout,
// and leaving when the parent goes away (stdin closes) or asks (SIGTERM/SIGINT).
import type { Server } from 'node:http';

/** The backend arguments: URLs, or DEPLOYMENT=URL for a peer that routes by deployment (undici-stream). */
export function backendsFromArgv(name: string): string[] {
  const urls = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (urls.length === 0) {
    process.stderr.write(`usage: node ${name} http://127.0.0.1:PORT [http://127.0.0.1:PORT ...]\n`);
    process.exit(2);
  }
  for (const u of urls) {
    const parsed = new URL(u.slice(u.indexOf('=') + 1));
    if (parsed.hostname !== '127.0.0.1') throw new Error(`backends stay on 127.0.0.1, got ${u}`);
  }
  return urls;
}

/** Listens on 127.0.0.1, any free port, and prints {"msg":"listening","port":N}. */
export function listenAndAnnounce(server: Server, peer: string): void {
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
    process.stdout.write(`${JSON.stringify({ msg: 'listening', peer, port, pid: process.pid })}\n`);
  });
  const leave = (): void => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', leave);
  process.on('SIGINT', leave);
  // Orphan guard: the parent holds our stdin; when it dies, stdin ends.
  process.stdin.on('end', leave);
  process.stdin.on('error', leave);
  process.stdin.resume();
}

/** Headers a proxy drops on both sides: hop-by-hop ones, and host (the pool sets its own). */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);
