// The telemetry sources: the JSON report (telemetry.url), Prometheus
// (telemetry.prometheus, a section of its own) and the load headers on backend
// answers (telemetry.inBand). Any of them may feed the router, but at least one must:
// a router with no source routes conservatively forever, which is a config mistake,
// not a mode.
import { DEFAULT_PROMETHEUS_LABELS } from './defaults.js';
import type { PrometheusSourceConfig } from './types.js';
import {
  type Check,
  type Mapping,
  type Problems,
  type Schema,
  describe,
  isRecord,
  nonEmptyText,
  quote,
  readSection,
} from './validate-fields.js';

export const SOURCES_EXPECTED = 'at least one load source: url, prometheus, or inBand: true';

/**
 * telemetry.prometheus as a field of the telemetry section: only its shape is checked
 * there; readPrometheus reads it as a section of its own, so that each of its problems
 * gets its own line and key path.
 */
export const prometheusPlaceholder: Check<PrometheusSourceConfig | null> = {
  expected: 'a mapping with url, capacityQuery and inUseQuery',
  parse: (value) => (isRecord(value) ? { value: null } : { wrong: `got ${describe(value)}` }),
};

/** The HTTP API's base: queries go to {url}/api/v1/query, so a path prefix is kept and a query is not. */
const prometheusUrl: Check<string> = {
  expected: 'the http(s) base URL of a Prometheus-compatible HTTP API, e.g. "http://127.0.0.1:9090"',
  parse: (value) => {
    if (typeof value !== 'string') return { wrong: `got ${describe(value)}` };
    if (!URL.canParse(value)) return { wrong: `not a URL: ${quote(value)}` };
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { wrong: `unsupported scheme ${quote(url.protocol.slice(0, -1))}` };
    }
    if (url.search !== '' || url.hash !== '') {
      return {
        wrong: `has ${url.search !== '' ? `a query ${quote(url.search)}` : `a fragment ${quote(url.hash)}`}`,
        right: 'the base URL only; the router appends /api/v1/query?query=...',
      };
    }
    // One form for "http://p:9090", "http://p:9090/" and "http://p:9090/prefix/".
    url.pathname = url.pathname.replace(/\/+$/, '');
    return { value: url.href.replace(/\/+$/, '') };
  },
};

const query = nonEmptyText(
  'a PromQL instant query with one sample per region and model, e.g. "sum by (region, model) (vllm:num_requests_running)"',
);

// Prometheus's own rule for label names.
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const labelName: Check<string> = {
  expected: 'a Prometheus label name: letters, digits and _, not starting with a digit',
  parse: (value) => {
    if (typeof value === 'string' && LABEL_NAME.test(value)) return { value };
    return { wrong: `got ${describe(value)}` };
  },
};

const PROMETHEUS: Schema<PrometheusSourceConfig> = {
  url: { check: prometheusUrl },
  capacityQuery: { check: query },
  inUseQuery: { check: query },
  regionLabel: { check: labelName, fallback: DEFAULT_PROMETHEUS_LABELS.regionLabel },
  modelLabel: { check: labelName, fallback: DEFAULT_PROMETHEUS_LABELS.modelLabel },
};

/** telemetry.prometheus, or null when the telemetry section has none; undefined when it is wrong. */
export function readPrometheus(problems: Problems, telemetry: unknown): PrometheusSourceConfig | null | undefined {
  const raw = isRecord(telemetry) ? telemetry.prometheus : undefined;
  if (raw === undefined || raw === null || !isRecord(raw)) return null;
  const parent: Mapping = { path: 'telemetry', entries: new Map([['prometheus', raw]]) };
  const section = readSection(problems, parent, 'prometheus', PROMETHEUS);
  const { regionLabel, modelLabel } = section?.values ?? {};
  if (regionLabel !== undefined && regionLabel === modelLabel) {
    problems.add(
      'telemetry.prometheus.modelLabel',
      `is the same label as regionLabel (${quote(regionLabel)})`,
      'two different labels: one names the region, the other the model',
    );
    return undefined;
  }
  return section?.whole;
}

/** A telemetry section must name a source itself; in-band alone counts only when switched on explicitly. */
export function checkTelemetrySources(
  problems: Problems,
  given: ReadonlySet<string>,
  inBand: boolean | undefined,
): void {
  if (given.has('url') || given.has('prometheus') || (given.has('inBand') && inBand === true)) return;
  problems.add(
    'telemetry',
    given.has('inBand') ? 'no load source: inBand is false and neither url nor prometheus is set' : 'no load source',
    `set ${SOURCES_EXPECTED}`,
  );
}
