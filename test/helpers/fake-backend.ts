// A hand-driven backend for data-plane tests: each test says how it answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeBackend {
  readonly url: string;
  readonly server: Server;
  /** Connections open to it now (a closed pool leaves none). */
  openConnections(): number;
  close(): Promise<void>;
}

export async function startFakeBackend(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
  tls: { readonly key: string; readonly cert: string } | null = null,
): Promise<FakeBackend> {
  const sockets = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  };
  // An https backend when tls is given: the same handler behind a certificate.
  const server: Server = tls === null ? createServer(onRequest) : createHttpsServer(tls, onRequest);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls === null ? 'http' : 'https'}://127.0.0.1:${port}`,
    server,
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A static telemetry endpoint whose reports the test sets. */
export async function startStaticTelemetry(reports: () => unknown[]): Promise<FakeBackend> {
  const srv = await startFakeBackend((_req, res) => {
    const now = new Date().toISOString();
    const body = JSON.stringify({ reports: reports().map((r) => ({ at: now, ...(r as object) })) });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  return { ...srv, url: `${srv.url}/telemetry` };
}
