// The admin listener's optional bearer token. /capacity shows the fleet's layout and
// /metrics its traffic: with admin.token set, every path but the two probes needs
// `Authorization: Bearer <token>`. Probes stay open because kubelets and load
// balancers call them without credentials, and they reveal nothing.
//
// Wraps any admin handler, so endpoints added later are guarded without knowing it.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

const UNAUTHORIZED = JSON.stringify({
  error: {
    code: 'Unauthorized',
    message: 'this admin endpoint needs "Authorization: Bearer <admin.token>"; /healthz and /readyz need none',
  },
});

// Digests have one length whatever the input, so comparing them takes the same time
// for every wrong token: a timing side channel tells an attacker nothing, not even
// the token's length.
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The bearer credentials of an Authorization header (scheme case-insensitive), or null. */
function bearerOf(header: string | undefined): string | null {
  if (header === undefined || header.length < 7) return null;
  if (header.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  return header.slice(7).trim();
}

export function withAdminToken(token: string | null, handler: Handler): Handler {
  if (token === null) return handler;
  const expected = digest(token);
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if (OPEN_PATHS.has(q === -1 ? url : url.slice(0, q))) {
      handler(req, res);
      return;
    }
    const given = bearerOf(req.headers.authorization);
    if (given !== null && timingSafeEqual(digest(given), expected)) {
      handler(req, res);
      return;
    }
    res.writeHead(401, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(UNAUTHORIZED),
      'cache-control': 'no-store',
      'www-authenticate': 'Bearer realm="switchyard admin"',
    });
    res.end(UNAUTHORIZED);
  };
}
