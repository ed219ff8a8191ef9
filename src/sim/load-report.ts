// A simulated region's load as a vLLM server reports it: its Prometheus metrics (GET
// /metrics on the region's own URL) and ORCA endpoint-load-metrics on an answer when
// the request asks with endpoint-load-metrics-format. A region is one vLLM server
// serving every model of the fleet on shared capacity, so every model reports the
// region's figures, labelled model_name as vLLM labels them. vLLM's metrics carry no
// region: a scrape config adds it per target (docs/telemetry.md shows one).
//
// A region whose capacity is not counted in requests (capacity-unit.ts) reports
// kv_cache_usage_perc as the part of its capacity in use in its unit, and two more
// gauges, sim_capacity and sim_in_use, in that unit: vLLM has no gauge of tokens in
// flight or tokens per minute a query could read.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimCapacityUnit } from './capacity-unit.js';

export interface RegionLoad {
  readonly unit: SimCapacityUnit;
  /**
   * Requests running now (the simulator never queues: it answers 429); in the requests
   * unit other tenants' load is included, as it is counted in requests.
   */
  readonly running: number;
  /** Capacity taken, in the unit, other tenants' included. */
  readonly inUse: number;
  readonly capacity: number;
}

/** Fraction of the capacity in use, as vLLM's kv_cache_usage_perc: inUse over capacity, at most 1. */
export function kvCacheUsage(load: RegionLoad): number {
  if (load.capacity <= 0) return 1;
  return Math.min(1, load.inUse / load.capacity);
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;

function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus text format (0.0.4) with vLLM's gauge names, one series per model. */
export function vllmMetricsText(models: readonly string[], load: RegionLoad): string {
  const gauges: ReadonlyArray<readonly [string, string, number]> = [
    ['vllm:num_requests_running', 'Number of requests in model execution batches.', Math.round(load.running)],
    ['vllm:num_requests_waiting', 'Number of requests waiting to be processed.', 0],
    ['vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', round(kvCacheUsage(load))],
  ];
  const lines: string[] = [];
  const push = (rows: typeof gauges, labels: string) => {
    for (const [name, help, value] of rows) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const model of models) lines.push(`${name}{model_name="${labelValue(model)}"${labels}} ${value}`);
    }
  };
  push(gauges, '');
  if (load.unit !== 'requests') {
    push(
      [
        ['sim_capacity', 'Capacity in the unit label.', load.capacity],
        ['sim_in_use', "Capacity in use in the unit label, other tenants' included.", Math.round(load.inUse)],
      ],
      `,unit="${load.unit}"`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function sendVllmMetrics(res: ServerResponse, models: readonly string[], load: RegionLoad): void {
  const body = vllmMetricsText(models, load);
  res.writeHead(200, {
    'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export const ORCA_REQUEST_HEADER = 'endpoint-load-metrics-format';
export const ORCA_RESPONSE_HEADER = 'endpoint-load-metrics';

export type OrcaFormat = 'text' | 'json';

/** The ORCA form a request asks for, or null. */
export function orcaFormatOf(req: IncomingMessage): OrcaFormat | null {
  const asked = req.headers[ORCA_REQUEST_HEADER];
  const format = typeof asked === 'string' ? asked.trim().toLowerCase() : '';
  return format === 'text' || format === 'json' ? format : null;
}

/**
 * vLLM's ORCA header value. vLLM measures when it builds the answer's head: at once for
 * a stream, at the end of the generation otherwise; the simulator does the same.
 */
export function orcaHeaderValue(format: OrcaFormat, load: RegionLoad): string {
  const usage = round(kvCacheUsage(load));
  if (format === 'text') return `TEXT named_metrics.kv_cache_usage_perc=${usage}, named_metrics.num_requests_waiting=0`;
  return `JSON ${JSON.stringify({ named_metrics: { kv_cache_usage_perc: usage, num_requests_waiting: 0 } })}`;
}
