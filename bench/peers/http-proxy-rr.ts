// Peer 1: a plain http-proxy 1.18 round-robin proxy, the way its README shows it:
// createProxyServer() and proxy.web(req, res, { target }). With no agent, http-proxy
// sends `Connection: close` upstream and opens a connection per request. With
// --keepalive it gets a keep-alive http.Agent instead (the one change a user would
// make first); both variants are measured. No other tuning; client disconnects are
// handled however http-proxy handles them.
// usage: node dist/bench/peers/http-proxy-rr.js [--keepalive] http://127.0.0.1:P1 [http://127.0.0.1:P2 ...]
import { Agent, createServer, type ServerResponse } from 'node:http';
import httpProxy from 'http-proxy';
import { backendsFromArgv, listenAndAnnounce } from './peer-common.js';

const keepAlive = process.argv.includes('--keepalive');
const backends = backendsFromArgv('http-proxy-rr.js');
const proxy = httpProxy.createProxyServer(keepAlive ? { agent: new Agent({ keepAlive: true }) } : {});
proxy.on('error', (_err, _req, res) => {
  const r = res as ServerResponse;
  if (typeof r.writeHead === 'function' && !r.headersSent) {
    r.writeHead(502, { 'content-type': 'application/json' });
    r.end('{"error":{"code":"BadGateway","message":"upstream failed"}}');
  } else {
    r.destroy();
  }
});

let next = 0;
const server = createServer((req, res) => {
  const target = backends[next] as string;
  next = (next + 1) % backends.length;
  proxy.web(req, res, { target });
});
listenAndAnnounce(server, keepAlive ? 'http-proxy (keep-alive agent)' : 'http-proxy');
