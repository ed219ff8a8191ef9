// Listener lifecycle shared by the backends and the telemetry server. Closing must not
// wait for clients: an outage (or a test's teardown) cuts open streams and held polls.
import type { Server } from 'node:http';

export const SIM_HOST = '127.0.0.1';

/** Resolves with the bound port. */
export function listenLocal(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, SIM_HOST, () => {
      server.off('error', onError);
      const addr = server.address();
      if (addr === null || typeof addr === 'string') {
        reject(new Error(`unexpected listen address ${String(addr)}`));
        return;
      }
      resolve(addr.port);
    });
  });
}

/** Stops accepting, destroys every connection (active ones included), resolves when closed. */
export function closeNow(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
