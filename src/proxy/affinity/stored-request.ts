// The data plane's side of a request bound to stored state, once its body is read:
// which deployment it names (path, body, header), where the stored routing sends it,
// and what the client gets when it is refused. The data plane calls it for the paths
// stored-target.ts recognises and for no other request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeploymentRuntime } from '../deployment-runtime.js';
import type { JsonModelScan } from '../json-model-scan.js';
import { deploymentFromBody, pathBodyProblem } from '../request-target.js';
import type { RouterErrorCode } from '../errors.js';
import type { RegionTarget } from '../upstream.js';
import type { AnswerLearner } from './answer-learner.js';
import { DEPLOYMENT_HEADER, type StoredDecision, type StoredRouting } from './stored-routing.js';
import type { StoredTarget } from './stored-target.js';

/** What a forwarded stored-state request carries into its ProxyCall. */
export interface StoredForward {
  readonly home: RegionTarget | null;
  readonly learner: AnswerLearner | null;
  readonly trial: boolean;
}

interface Refusal {
  readonly code: RouterErrorCode;
  readonly message: string;
  readonly deployment?: DeploymentRuntime | null;
  readonly retryAfterS?: number | null;
  readonly startedAt: number;
}

/** What routeStored needs of the data plane. */
export interface StoredHost {
  routing(): StoredRouting;
  maxNameBytes(): number;
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    deployment: DeploymentRuntime,
    body: Buffer,
    scan: JsonModelScan | null,
    startedAt: number,
    stored: StoredForward,
  ): void;
  ownAnswer(res: ServerResponse, answer: Refusal): void;
  /** The books of a request answered without the router's error shape (a relayed refusal, a client gone). */
  ended(req: IncomingMessage, deployment: DeploymentRuntime | null, status: number, startedAt: number): void;
}

export function routeStored(
  host: StoredHost,
  req: IncomingMessage,
  res: ServerResponse,
  named: string | null,
  target: StoredTarget,
  body: Buffer,
  scan: JsonModelScan | null,
  startedAt: number,
): void {
  let name = named;
  const json = scan !== null && body.length > 0;
  if (json && named === null) {
    const found = deploymentFromBody(body, scan, host.maxNameBytes());
    if (found.ok) name = found.deployment;
    else if (found.code !== 'MissingDeployment') {
      host.ownAnswer(res, { code: found.code, message: found.message, startedAt });
      return;
    }
  } else if (json) {
    const problem = pathBodyProblem(body, scan);
    if (problem !== null) {
      host.ownAnswer(res, { code: 'InvalidJson', message: problem, startedAt });
      return;
    }
  }
  const header = req.headers[DEPLOYMENT_HEADER];
  const decision = host.routing().decide({
    method: req.method ?? 'GET',
    target,
    rawHeaders: req.rawHeaders,
    headerDeployment: typeof header === 'string' && header !== '' ? header : null,
    body,
    json,
    named: name,
  });
  if (!(decision instanceof Promise)) {
    decided(host, req, res, decision, body, scan, startedAt);
    return;
  }
  decision.then(
    (d) => {
      // The client may have left while the regions were asked.
      if (res.writableEnded || res.destroyed || req.socket.destroyed) {
        host.ended(req, d.kind === 'forward' ? d.deployment : null, 499, startedAt);
        return;
      }
      decided(host, req, res, d, body, scan, startedAt);
    },
    (err: unknown) => {
      host.ownAnswer(res, {
        code: 'HomeRegionUnavailable',
        message: `the region holding the stored state could not be found: ${(err as Error).message}`,
        retryAfterS: 1,
        startedAt,
      });
    },
  );
}

function decided(
  host: StoredHost,
  req: IncomingMessage,
  res: ServerResponse,
  d: StoredDecision,
  body: Buffer,
  scan: JsonModelScan | null,
  startedAt: number,
): void {
  switch (d.kind) {
    case 'forward':
      host.forward(req, res, d.deployment, body, scan, startedAt, d);
      return;
    case 'refuse':
      host.ownAnswer(res, {
        code: d.code,
        message: d.message,
        deployment: d.deployment,
        retryAfterS: d.retryAfterS,
        startedAt,
      });
      return;
    case 'relay':
      res.writeHead(d.status, { 'content-type': d.contentType, 'content-length': d.body.length });
      res.end(d.body);
      host.ended(req, null, d.status, startedAt);
      return;
  }
}
