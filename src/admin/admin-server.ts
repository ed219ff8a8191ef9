// The admin listener's request handler: the dashboard (/), /capacity, /history,
// /metrics, /healthz, /readyz. Kept apart from the data plane so scrapes never queue
// behind inference traffic.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { sendDashboard } from './dashboard/page.js';

export interface AdminHandlers {
  readonly capacity: () => unknown;
  /** The dashboard's chart data: routing samples taken after sinceMs (epoch ms). */
  readonly history: (sinceMs: number) => unknown;
  readonly registry: Registry;
  /** Refreshes gauges that are only meaningful at scrape time (ages). */
  readonly beforeScrape: () => void;
  readonly isReady: () => boolean;
}

function json(res: ServerResponse, status: number, body: unknown, indent = 2): void {
  const text = JSON.stringify(body, null, indent);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function adminHandler(h: AdminHandlers): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const [path, query = ''] = (req.url ?? '/').split('?', 2);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, {
        error: { code: 'MethodNotAllowed', message: `${req.method} is not allowed on the admin listener; use GET` },
      });
      return;
    }
    switch (path) {
      case '/':
        sendDashboard(res);
        return;
      case '/history': {
        // Polled every few seconds by every open dashboard: compact, and only what is new.
        const since = Number(new URLSearchParams(query).get('since') ?? 0);
        json(res, 200, h.history(Number.isFinite(since) ? since : 0), 0);
        return;
      }
      case '/healthz':
        json(res, 200, { status: 'ok' });
        return;
      case '/readyz':
        if (h.isReady()) json(res, 200, { status: 'ready' });
        else json(res, 503, { status: 'starting' });
        return;
      case '/capacity':
        json(res, 200, h.capacity());
        return;
      case '/metrics':
        h.beforeScrape();
        h.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': h.registry.contentType });
            res.end(text);
          },
          (err: Error) => json(res, 500, { error: { code: 'MetricsFailed', message: err.message } }),
        );
        return;
      default:
        json(res, 404, {
          error: {
            code: 'NotFound',
            message: `no admin endpoint ${path}; try / (dashboard), /capacity, /history, /metrics, /healthz or /readyz`,
          },
        });
    }
  };
}
