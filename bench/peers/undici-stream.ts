// Peer 3, the lean one: the least a Node proxy on undici does. A node:http server, one
// undici Pool per backend (default options), round robin, and pool.stream() with a
// factory that hands undici the client's ServerResponse: undici writes every upstream
// chunk straight into it (res.write, pausing on its 'drain'), ends it on completion
// and aborts the upstream request when the response fails or closes early. No
// promise, no closure per request (the response rides as `opaque`), headers as flat
// arrays both ways with hop-by-hop ones dropped (undici rejects some of them). This
// is the reference the streaming targets are judged against.
// usage: node dist/bench/peers/undici-stream.js http://127.0.0.1:P1 [http://127.0.0.1:P2 ...]
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { HOP_BY_HOP, backendsFromArgv, listenAndAnnounce } from './peer-common.js';

/** Flat [name, value, ...] without hop-by-hop headers (raw names as received). */
function endToEnd(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, raw[i + 1] as string);
  }
  return out;
}

function factory({ statusCode, headers, opaque: res }: Dispatcher.StreamFactoryData<ServerResponse>): ServerResponse {
  res.writeHead(statusCode, endToEnd(headers as unknown as string[]));
  return res;
}

function done(err: Error | null, { opaque: res }: Dispatcher.StreamData<ServerResponse>): void {
  if (err === null) return;
  if (!res.headersSent) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"error":{"code":"BadGateway","message":"upstream failed"}}');
  } else {
    res.destroy();
  }
}

const pools = backendsFromArgv('undici-stream.js').map((url) => new Pool(url));
let next = 0;

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const pool = pools[next] as Pool;
  next = next + 1 === pools.length ? 0 : next + 1;
  pool.stream<ServerResponse>(
    {
      method: req.method as Dispatcher.HttpMethod,
      path: req.url ?? '/',
      headers: endToEnd(req.rawHeaders),
      body: req,
      opaque: res,
      responseHeaders: 'raw',
    },
    factory,
    done,
  );
});
listenAndAnnounce(server, 'undici-stream');
