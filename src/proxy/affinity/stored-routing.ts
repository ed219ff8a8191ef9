// Where a request bound to stored state goes. Called by the data plane, once the body
// is read, for the paths stored-target.ts recognises; every other request never gets
// here.
//
//   the request refers to      its home is                     it goes
//   nothing stored             -                               by the usual routing
//   an object (path or body)   in the cache                    home (cached)
//                              not cached: ask the regions     home (asked), or 404 / 503
//   encrypted reasoning only   cached by an item id            home (cached)
//                              not cached                      the boundary's regions in turn,
//                                                              while they answer 400
//                                                              invalid_encrypted_content (tried)
//
// A home is never traded for another region: down, ejected or resting, the request
// gets 503 HomeRegionUnavailable (with Retry-After and the region named); outside the
// boundary of the deployment the request names, 400 HomeOutsideBoundary.
import type { AffinityConfig } from '../../config/types.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { DeploymentRuntime } from '../deployment-runtime.js';
import { echoName } from '../echo.js';
import type { RouterErrorCode } from '../errors.js';
import type { RegionTarget, RegionUpstream } from '../upstream.js';
import { AnswerLearner } from './answer-learner.js';
import { type BodyRef, type BodyRefs, bodyRefsOf } from './body-refs.js';
import { findHome, probeHeadersOf } from './home-finder.js';
import type { HomeCache } from './home-cache.js';
import { type Collection, createsObjects, idKey, retrievePath, type StoredTarget } from './stored-target.js';

export const DEPLOYMENT_HEADER = 'x-switchyard-deployment';

/** The request as the data plane has it once its body is read. */
export interface StoredRequest {
  readonly method: string;
  readonly target: StoredTarget;
  readonly rawHeaders: readonly string[];
  /** The value of x-switchyard-deployment, if sent. */
  readonly headerDeployment: string | null;
  readonly body: Buffer;
  /** The body is a JSON object (checked by the data plane's scan). */
  readonly json: boolean;
  /** The deployment the path or the body's "model" names; null when neither does. */
  readonly named: string | null;
}

export type StoredDecision =
  | {
      readonly kind: 'forward';
      readonly deployment: DeploymentRuntime;
      /** The home region: the only region this request may go to. Null: the usual routing. */
      readonly home: RegionTarget | null;
      readonly learner: AnswerLearner | null;
      /** Encrypted reasoning of unknown home: try the boundary's regions in turn. */
      readonly trial: boolean;
    }
  | {
      readonly kind: 'refuse';
      readonly code: RouterErrorCode;
      readonly message: string;
      readonly deployment: DeploymentRuntime | null;
      readonly retryAfterS: number | null;
    }
  /** The regions refused the client's credentials: their answer, as it is. */
  | { readonly kind: 'relay'; readonly status: number; readonly body: Buffer; readonly contentType: string };

export type AffinityOutcome = 'cached' | 'asked' | 'tried' | 'home_unavailable' | 'unknown_id' | 'outside_boundary';

/** What the routing reads of a router generation. */
export interface AffinityScope {
  readonly deployments: ReadonlyMap<string, DeploymentRuntime>;
  readonly upstreams: ReadonlyMap<string, RegionUpstream>;
  readonly config: AffinityConfig;
}

const NOUN: Readonly<Record<Collection, string>> = {
  responses: 'response',
  conversations: 'conversation',
  files: 'file',
  batches: 'batch',
};

/** Retry-After when a home is out and the router knows no end to it. */
const HOME_RETRY_AFTER_S = 5;

export class StoredRouting {
  constructor(
    private readonly cache: HomeCache,
    private readonly metrics: Metrics,
    private readonly now: () => number,
    private readonly scope: AffinityScope,
  ) {}

  decide(request: StoredRequest): StoredDecision | Promise<StoredDecision> {
    const { deployments, config } = this.scope;
    const name = request.named ?? request.headerDeployment ?? config.defaultDeployment;
    const named = name === null ? null : (deployments.get(name) ?? null);
    if (name !== null && named === null) {
      return refuse('DeploymentNotFound', `deployment "${echoName(name)}" is not configured here`, null);
    }
    const refs = this.refsOf(request);
    const creates = createsObjects(request.method, request.target);
    if (refs.objects.length === 0 && !refs.sealed) {
      if (named === null) return refuse('MissingDeployment', missingDeployment(request.target), null);
      return this.forward(named, null, creates ? [] : null, false);
    }
    const learnFrom = creates ? refs.sealedItems : null;
    for (const ref of refs.objects) {
      const home = this.lookup(ref.id);
      if (home !== undefined) return this.pin(ref, home.region, named, home.deployment, 'cached', learnFrom);
    }
    for (const id of refs.sealedItems) {
      const home = this.lookup(id);
      if (home !== undefined) {
        return this.pin({ collection: 'responses', id }, home.region, named, home.deployment, 'cached', learnFrom);
      }
    }
    const first = refs.objects[0];
    if (first !== undefined) return this.ask(request, first, named, learnFrom);
    // Encrypted reasoning alone: no GET exists for it; its region is found by trying.
    if (named === null) return refuse('MissingDeployment', missingDeployment(request.target), null);
    this.count(named, 'tried');
    return this.forward(named, null, refs.sealedItems, true);
  }

  private refsOf(request: StoredRequest): BodyRefs {
    const { target } = request;
    if (target.id !== null) {
      return { objects: [{ collection: target.collection, id: idKey(target.id) }], sealedItems: [], sealed: false };
    }
    if (request.method !== 'POST' || !request.json) return NO_REFS;
    return bodyRefsOf(target.collection, request.body);
  }

  private lookup(id: string) {
    const home = this.cache.lookup(id);
    this.metrics.affinityLookups.labels(home === undefined ? 'miss' : 'hit').inc();
    return home;
  }

  /** Asks the regions (the named deployment's boundary, else every region) where `ref` lives. */
  private async ask(
    request: StoredRequest,
    ref: BodyRef,
    named: DeploymentRuntime | null,
    learnFrom: readonly string[] | null,
  ): Promise<StoredDecision> {
    const { upstreams, config } = this.scope;
    const regions = named === null ? [...upstreams.keys()] : named.topology.servable;
    const asked = regions.map((r) => upstreams.get(r)).filter((u): u is RegionUpstream => u !== undefined);
    const finding = await findHome(
      asked,
      retrievePath(request.target, ref.collection, ref.id),
      probeHeadersOf(request.rawHeaders),
      named?.name ?? '',
      config.probeTimeoutMs,
      this.now(),
    );
    this.metrics.affinityProbes.labels(finding.kind === 'found' ? 'found' : finding.kind).inc();
    const what = `${NOUN[ref.collection]} '${echoName(ref.id)}'`;
    const scope = named === null ? 'any region' : `any region of deployment ${named.name} (${regions.join(', ')})`;
    switch (finding.kind) {
      case 'found':
        this.cache.remember(ref.id, { region: finding.region, deployment: named?.name ?? null });
        return this.pin(ref, finding.region, named, null, 'asked', learnFrom);
      case 'unknown':
        this.count(named, 'unknown_id');
        return refuse('StoredObjectNotFound', `No ${what} was found in ${scope}.`, named);
      case 'unanswered':
        this.count(named, 'home_unavailable');
        return refuse(
          'HomeRegionUnavailable',
          `the region holding ${what} is not known: region${finding.regions.length > 1 ? 's' : ''} ` +
            `${finding.regions.join(', ')} could not be asked and may hold it; retry later`,
          named,
          HOME_RETRY_AFTER_S,
        );
      case 'denied':
        return { kind: 'relay', status: finding.status, body: finding.body, contentType: finding.contentType };
    }
  }

  /** The request goes to `region` or nowhere. */
  private pin(
    ref: BodyRef,
    region: string,
    named: DeploymentRuntime | null,
    learnedWith: string | null,
    how: 'cached' | 'asked',
    learnFrom: readonly string[] | null,
  ): StoredDecision {
    const what = `${NOUN[ref.collection]} '${echoName(ref.id)}'`;
    const deployment = named ?? this.deploymentFor(region, learnedWith);
    if (deployment === null || !deployment.topology.servable.includes(region)) {
      this.count(deployment, 'outside_boundary');
      const message =
        deployment === null
          ? `${what} lives in region ${region}, which no configured deployment may use`
          : `${what} lives in region ${region}, outside the boundary of deployment ${deployment.name} ` +
            `(${deployment.topology.servable.join(', ')}); send it with a deployment whose boundary holds ${region}`;
      return refuse('HomeOutsideBoundary', message, deployment);
    }
    const plan = deployment.route?.plan.regions.find((r) => r.region === region);
    if (plan === undefined || plan.state === 'ejected' || plan.state === 'cooldown' || plan.state === 'no-backend') {
      this.count(deployment, 'home_unavailable');
      const untilMs = plan?.stateUntilMs ?? null;
      const retryAfterS = untilMs === null ? HOME_RETRY_AFTER_S : Math.max(1, Math.ceil((untilMs - this.now()) / 1000));
      const why = plan === undefined ? 'not routable' : plan.state === 'cooldown' ? 'resting' : plan.state;
      return refuse(
        'HomeRegionUnavailable',
        `${what} lives in region ${region}, which is ${why}; the request is not sent elsewhere, ` +
          `where it would fail. Retry after ${retryAfterS} s`,
        deployment,
        retryAfterS,
      );
    }
    this.count(deployment, how);
    return this.forward(deployment, deployment.targetOf(region), learnFrom, false);
  }

  /** For a request that names no deployment: the one its object was made with, else the first that reaches the region. */
  private deploymentFor(region: string, learnedWith: string | null): DeploymentRuntime | null {
    const deployments = this.scope.deployments;
    const learned = learnedWith === null ? undefined : deployments.get(learnedWith);
    if (learned?.topology.servable.includes(region)) return learned;
    for (const d of deployments.values()) if (d.topology.servable.includes(region)) return d;
    return null;
  }

  private forward(
    deployment: DeploymentRuntime,
    home: RegionTarget | null,
    learnFrom: readonly string[] | null,
    trial: boolean,
  ): StoredDecision {
    const learner =
      learnFrom === null ? null : new AnswerLearner(this.cache, deployment.name, learnFrom, this.onLearned);
    return { kind: 'forward', deployment, home, learner, trial };
  }

  private readonly onLearned = (n: number): void => {
    this.metrics.affinityLearned.inc(n);
  };

  private count(deployment: DeploymentRuntime | null, outcome: AffinityOutcome): void {
    this.metrics.affinityRequests.labels(deployment?.name ?? 'none', outcome).inc();
  }
}

const NO_REFS: BodyRefs = Object.freeze({ objects: [], sealedItems: [], sealed: false });

function refuse(
  code: RouterErrorCode,
  message: string,
  deployment: DeploymentRuntime | null,
  retryAfterS: number | null = null,
): StoredDecision {
  return { kind: 'refuse', code, message, deployment, retryAfterS };
}

function missingDeployment(target: StoredTarget): string {
  return (
    `no deployment: ${target.collection} requests that name no stored object go to the deployment named in the ` +
    `${DEPLOYMENT_HEADER} header (or a "model" field, or affinity.defaultDeployment)`
  );
}
