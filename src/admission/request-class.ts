// What a request says about how it wants to be admitted: its priority (a number, or an
// objective name the config maps to one), its fairness key and a shorter wait. Read
// from the head alone; a value that cannot be honoured is the client's to fix, with a
// message that says what would be right.

/** Priorities a request may carry: a small range, so that they can label metrics. */
export const MIN_PRIORITY = -10;
export const MAX_PRIORITY = 10;

export const PRIORITY_HEADER = 'x-switchyard-priority';
export const OBJECTIVE_HEADER = 'x-gateway-inference-objective';
export const FAIRNESS_HEADER = 'x-gateway-inference-fairness-id';
export const MAX_WAIT_HEADER = 'x-switchyard-max-wait-ms';

/** Fairness keys longer than this are cut: a key is an identity, not a payload. */
export const MAX_FAIRNESS_KEY = 256;

export interface RequestClass {
  /** null: the deployment's default priority. */
  readonly priority: number | null;
  readonly fairnessKey: string;
  /** null: the deployment's wait. */
  readonly maxWaitMs: number | null;
}

export interface ClassPolicy {
  /** Objective name -> priority (admission.objectives). */
  readonly objectives: ReadonlyMap<string, number>;
  /** The header whose value is the fairness key (lower case). */
  readonly fairnessHeader: string;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** A request that says nothing of its class (most of them): one shared object, nothing allocated. */
export const PLAIN_REQUEST: RequestClass = Object.freeze({ priority: null, fairnessKey: '', maxWaitMs: null });

/** The request's class, or a problem with one of its headers. */
export function requestClass(headers: Headers, policy: ClassPolicy): RequestClass | { readonly problem: string } {
  const given = headers[PRIORITY_HEADER];
  const objective = headers[OBJECTIVE_HEADER];
  const wait = headers[MAX_WAIT_HEADER];
  const key = headers[policy.fairnessHeader];
  if (given === undefined && objective === undefined && wait === undefined && key === undefined) return PLAIN_REQUEST;
  return classOf(one(given), one(objective), one(wait), one(key), policy);
}

function classOf(
  given: string | undefined,
  objective: string | undefined,
  wait: string | undefined,
  key: string | undefined,
  policy: ClassPolicy,
): RequestClass | { readonly problem: string } {
  let priority: number | null = null;
  if (given !== undefined) {
    priority = integerIn(given, MIN_PRIORITY, MAX_PRIORITY);
    if (priority === null)
      return {
        problem: `${PRIORITY_HEADER} is "${shown(given)}" (expected an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}; higher is served first, negative may be shed)`,
      };
  } else {
    if (objective !== undefined) {
      const mapped = policy.objectives.get(objective.trim());
      if (mapped === undefined) {
        const known = [...policy.objectives.keys()];
        return {
          problem: `${OBJECTIVE_HEADER} "${shown(objective)}" is not configured here (known: ${known.length === 0 ? 'none; admission.objectives names them' : known.join(', ')})`,
        };
      }
      priority = mapped;
    }
  }
  let maxWaitMs: number | null = null;
  if (wait !== undefined) {
    maxWaitMs = integerIn(wait, 0, 2_147_483_647);
    if (maxWaitMs === null)
      return {
        problem: `${MAX_WAIT_HEADER} is "${shown(wait)}" (expected an integer number of milliseconds >= 0; it can only shorten the deployment's wait)`,
      };
  }
  return {
    priority,
    fairnessKey: key === undefined ? '' : key.length > MAX_FAIRNESS_KEY ? key.slice(0, MAX_FAIRNESS_KEY) : key,
    maxWaitMs,
  };
}

/** A header sent more than once counts by its first value (Node joins most with ", "). */
function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function integerIn(text: string, min: number, max: number): number | null {
  const t = text.trim();
  if (!/^[+-]?\d{1,10}$/.test(t)) return null;
  const n = Number(t);
  return n >= min && n <= max ? n : null;
}

/** A client's value, cut short and without control characters, for an error message. */
function shown(value: string): string {
  const clean = value.replace(/[\u0000-\u001f\u007f"\\]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean;
}
