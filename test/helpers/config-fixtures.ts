// The contract's example config, shared by the config tests.

/** The example config of the contract, as a parser would hand it over. */
export function contractExample() {
  return {
    listen: { host: '127.0.0.1', port: 8080 },
    admin: { host: '127.0.0.1', port: 8081 },
    zones: { us: ['eastus2', 'centralus'], eu: ['swedencentral', 'norwayeast'] },
    backends: [
      { region: 'eastus2', url: 'http://127.0.0.1:9001' },
      { region: 'swedencentral', url: 'http://127.0.0.1:9002' },
    ],
    deployments: [
      { name: 'chat-global', model: 'gpt-5.2', type: 'global' },
      { name: 'chat-eu', model: 'gpt-5.2', type: 'datazone', zone: 'eu' },
      { name: 'chat-east', model: 'gpt-5.2', type: 'regional', region: 'eastus2' },
    ],
    telemetry: { url: 'http://127.0.0.1:9100/telemetry', intervalMs: 500, staleAfterMs: 3000, minCoverage: 0.75 },
    conservative: { maxShareFactor: 1.5 },
    limits: { maxBodyBytes: 16777216 },
  };
}
