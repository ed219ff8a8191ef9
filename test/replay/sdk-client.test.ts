import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { SdkClients } from '../../replay/sdk-client.js';
import { openLoopAgent } from '../../tools/open-loop.js';

const CLIENTS = { maxRetries: 0, label: 'sdk' };

async function sent(backlogPriority: number | null): Promise<Map<string, IncomingHttpHeaders>> {
  const seen = new Map<string, IncomingHttpHeaders>();
  const server = createServer((req, res) => {
    seen.set(req.url?.split('/')[3] ?? '', req.headers);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'x-switchyard-region': 'eastus2' }).end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const agent = openLoopAgent();
  try {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clients = new SdkClients(agent, origin, CLIENTS, 1, () => 42, backlogPriority);
    clients.send({ tMs: 0, deployment: 'usual', backlog: false });
    clients.send({ tMs: 0, deployment: 'backlog', backlog: true });
    await clients.drain(5000);
    assert.deepEqual(
      clients.records.map((r) => [r.deployment, r.backlog, r.status, r.endMs]),
      [
        ['usual', false, 200, 42],
        ['backlog', true, 200, 42],
      ],
    );
    return seen;
  } finally {
    await agent.destroy();
    await new Promise((r) => server.close(r));
  }
}

test('the backlog sends the priority the policy gives it; the other requests never send one', async () => {
  const withPriority = await sent(-1);
  assert.equal(withPriority.get('backlog')?.['x-switchyard-priority'], '-1');
  assert.equal(withPriority.get('usual')?.['x-switchyard-priority'], undefined);
  const without = await sent(null);
  assert.equal(without.get('backlog')?.['x-switchyard-priority'], undefined);
  assert.equal(without.get('usual')?.['x-switchyard-priority'], undefined);
});
