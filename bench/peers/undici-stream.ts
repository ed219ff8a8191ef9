// Peer 3, the lean one: the least a Node proxy on undici does. A node:http server, one
// undici Pool per backend (default options), round robin, and pool.stream() with a
// factory that hands undici the client's ServerResponse: undici writes every upstream
// chunk straight into it (res.write, pausing on its 'drain'), ends it on completion
// and aborts the upstream request when the response fails or closes early. No
// promise, no closure per request (the response rides as `opaque`), headers as flat
// arrays both ways with hop-by-hop ones dropped (undici rejects some of them). This
// is the reference the streaming targets are judged against.
// usage: node dist/bench/peers/undici-stream.js http://127.0.0.1:P1 [http://127.0.0.1:P2 ...]
//   or, in front of several fleets (the bench's carry-over phase), DEPLOYMENT=URL ...:
//   round robin over the backends of the deployment named in the Azure path
//   (/openai/deployments/{name}/...), as switchyard routes; 404 for another path.
//   With one fleet the path is not looked at.
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

/** One deployment's backends, taken in turn. */
interface Fleet {
  readonly pools: Pool[];
  next: number;
}

const fleets = new Map<string, Fleet>();
for (const arg of backendsFromArgv('undici-stream.js')) {
  const eq = arg.indexOf('=');
  const name = eq === -1 ? '' : arg.slice(0, eq);
  const fleet = fleets.get(name) ?? { pools: [], next: 0 };
  fleet.pools.push(new Pool(arg.slice(eq + 1)));
  fleets.set(name, fleet);
}
const only = fleets.size === 1 ? [...fleets.values()][0] : undefined;
const PREFIX = '/openai/deployments/';

function fleetOf(path: string): Fleet | undefined {
  if (only !== undefined) return only;
  const end = path.indexOf('/', PREFIX.length);
  return path.startsWith(PREFIX) && end !== -1 ? fleets.get(path.slice(PREFIX.length, end)) : undefined;
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const path = req.url ?? '/';
  const fleet = fleetOf(path);
  if (fleet === undefined) {
    res.writeHead(404).end();
    return;
  }
  const pool = fleet.pools[fleet.next] as Pool;
  fleet.next = fleet.next + 1 === fleet.pools.length ? 0 : fleet.next + 1;
  pool.stream<ServerResponse>(
    {
      method: req.method as Dispatcher.HttpMethod,
      path,
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
