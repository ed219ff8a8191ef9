// The methods the data plane forwards: those of the APIs it fronts. OpenAI's and Azure
// OpenAI's use GET, POST and DELETE (PUT and PATCH on some resources); clients send
// HEAD, and browsers an OPTIONS preflight. Anything else is answered 405
// MethodNotAllowed before routing: TRACE (and TRACK) would have a backend echo the
// request back, the headers the router adds for it (an `api-key`) included; CONNECT
// asks for a tunnel, which a router of requests never makes; WebDAV and the other
// extension methods mean nothing to an inference API.

export const FORWARDED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The `Allow` header of a 405. */
export const ALLOW = FORWARDED_METHODS.join(', ');

export function isForwardedMethod(method: string | undefined): boolean {
  switch (method) {
    case 'POST':
    case 'GET':
    case 'HEAD':
    case 'PUT':
    case 'PATCH':
    case 'DELETE':
    case 'OPTIONS':
      return true;
    default:
      return false;
  }
}
