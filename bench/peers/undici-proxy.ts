// Peer 2: the simplest honest undici proxy. A node:http server, one undici Pool per
// backend (default options), round robin, pool.request with the client's request as
// the body and stream.pipeline from the upstream body to the client. Hop-by-hop
// headers are dropped both ways (undici rejects some of them). pipeline destroys the
// upstream body when the client goes away, which makes undici abort that request.
// usage: node dist/bench/peers/undici-proxy.js http://127.0.0.1:P1 [http://127.0.0.1:P2 ...]
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';
import { HOP_BY_HOP, backendsFromArgv, listenAndAnnounce } from './peer-common.js';

function endToEnd(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  }
  return out;
}

const pools = backendsFromArgv('undici-proxy.js').map((url) => new Pool(url));
let next = 0;

const server = createServer((req, res) => {
  const pool = pools[next] as Pool;
  next = (next + 1) % pools.length;
  pool.request({ method: req.method as 'POST', path: req.url ?? '/', headers: endToEnd(req.headers), body: req }).then(
    ({ statusCode, headers, body }) => {
      // The client may have gone while the head was awaited (Node 24's pipeline throws
      // on a destroyed destination): dropping the body aborts the upstream request.
      if (res.destroyed) {
        body.destroy();
        return;
      }
      res.writeHead(statusCode, endToEnd(headers));
      pipeline(body, res, () => undefined);
    },
    () => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"BadGateway","message":"upstream failed"}}');
      } else {
        res.destroy();
      }
    },
  );
});
listenAndAnnounce(server, 'undici-proxy');
