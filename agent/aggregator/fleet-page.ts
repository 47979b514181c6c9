/**
 * The aggregator's fleet page at GET /: every agent from /api/v1/agents (last seen, delivery lag, spool backlog,
 * anomalies when the agents' events reach the aggregator, drops, version), polled every 5 s, and a drill-down of one
 * agent (every field, and its lag and backlog charted since the page opened). Files from the package only, strict
 * Content-Security-Policy, gzip and ETag, as the agent's live page. With tokens configured, the page's data needs
 * aggregator.public_reads (a browser sends no bearer token).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HttpServer } from '../core/http-server';
import { StaticFiles } from '../exposition/static';

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outrider fleet</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/fleet/uPlot.min.css">
<link rel="stylesheet" href="/fleet/fleet.css">
</head>
<body>
<header><h1>Outrider fleet</h1><span id="status">loading…</span>
<nav><a href="/metrics">/metrics</a> <a href="/api/v1/agents">/api/v1/agents</a> <a href="/api/v1/status">/api/v1/status</a></nav></header>
<main>
<table id="agents"><thead><tr><th>agent</th><th>version</th><th>last seen</th><th>lag</th><th>spool backlog</th><th>anomalies</th><th>dropped batches</th><th>applied batches</th></tr></thead><tbody></tbody></table>
<section id="detail" hidden><h2 id="detail-title"></h2><div id="detail-chart"></div><table id="detail-fields"></table></section>
</main>
<script src="/fleet/uPlot.iife.min.js"></script>
<script src="/fleet/fleet.js"></script>
</body>
</html>
`;

const css = `body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { display: flex; gap: 1em; align-items: baseline; padding: 8px 16px; background: #1f2d3d; color: #eee; }
header h1 { font-size: 16px; margin: 0; }
header a { color: #9cf; margin-right: 0.6em; }
nav { margin-left: auto; }
main { padding: 8px 16px; }
table { border-collapse: collapse; }
td, th { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; }
tbody tr { cursor: pointer; }
tbody tr:hover, tr.selected { background: #e8f0fb; }
tr.stale td { color: #b33; }
#detail { margin-top: 16px; background: #fff; border: 1px solid #ddd; padding: 8px; }
`;

const js = String.raw`(function () {
  'use strict';
  var selected = null;
  var history = {};
  var plot = null;
  function el(tag, text) { var e = document.createElement(tag); if (text != null) e.textContent = text; return e; }
  function ago(s) { return s < 60 ? s.toFixed(0) + ' s ago' : s < 3600 ? (s / 60).toFixed(0) + ' min ago' : (s / 3600).toFixed(1) + ' h ago'; }
  function bytes(n) { return n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB'; }
  // The anomaly rate, when the aggregator receives the agents' events (absent otherwise: shown as a dash).
  function anomalies(a) {
    if (typeof a.anomaly_events_last_hour === 'number') return a.anomaly_events_last_hour + ' in the last hour';
    if (typeof a.anomaly_rate === 'number') return (a.anomaly_rate * 100).toFixed(1) + ' %';
    if (typeof a.anomaly_events_total === 'number') return a.anomaly_events_total + ' in all';
    return '\u2013';
  }
  function remember(a, t) {
    var h = history[a.agent_id] || (history[a.agent_id] = [[], [], []]);
    h[0].push(t); h[1].push(a.lag_seconds); h[2].push(a.spool_backlog_batches);
    if (h[0].length > 720) h.forEach(function (c) { c.shift(); });
  }
  function detail(agents) {
    var box = document.getElementById('detail');
    var a = agents.filter(function (x) { return x.agent_id === selected; })[0];
    box.hidden = !a;
    if (!a) return;
    document.getElementById('detail-title').textContent = a.agent_id;
    var t = document.getElementById('detail-fields');
    t.textContent = '';
    Object.keys(a).forEach(function (k) { var r = el('tr'); r.appendChild(el('th', k)); r.appendChild(el('td', String(a[k]))); t.appendChild(r); });
    var data = history[a.agent_id];
    var target = document.getElementById('detail-chart');
    if (!plot || plot.agent !== a.agent_id) {
      if (plot) plot.destroy();
      target.textContent = '';
      plot = new uPlot({ width: Math.max(300, target.clientWidth || 600), height: 180, series: [{}, { label: 'lag (s)', stroke: '#2f7ed8' }, { label: 'backlog (batches)', stroke: '#d9534f', scale: 'n' }], axes: [{}, {}, { scale: 'n', side: 1 }] }, data, target);
      plot.agent = a.agent_id;
    } else plot.setData(data);
  }
  function render(agents) {
    var t = Date.now() / 1000;
    var body = document.querySelector('#agents tbody');
    body.textContent = '';
    agents.forEach(function (a) {
      remember(a, t);
      var r = el('tr');
      r.setAttribute('data-agent', a.agent_id);
      if (a.seconds_since_seen > 60) r.className = 'stale';
      if (a.agent_id === selected) r.className += ' selected';
      [a.agent_id, a.version, ago(a.seconds_since_seen), a.lag_seconds.toFixed(1) + ' s', a.spool_backlog_batches + ' (' + bytes(a.spool_backlog_bytes) + ')', anomalies(a), String(a.dropped_batches), String(a.applied_batches)].forEach(function (v) { r.appendChild(el('td', v)); });
      r.addEventListener('click', function () { selected = a.agent_id; render(agents); });
      body.appendChild(r);
    });
    detail(agents);
    document.getElementById('status').textContent = agents.length + ' agent(s) · ' + new Date().toLocaleTimeString();
  }
  function poll() {
    fetch('/api/v1/agents')
      .then(function (r) { if (!r.ok) throw new Error('/api/v1/agents: HTTP ' + r.status + (r.status === 401 ? ' (reads need a token: see aggregator.public_reads)' : '')); return r.json(); })
      .then(function (b) { render(b.agents); })
      .catch(function (e) { document.getElementById('status').textContent = String(e.message || e); });
  }
  poll();
  setInterval(poll, 5000);
})();
`;

function uplotFile(name: string): () => Buffer {
  return () => readFileSync(join(dirname(require.resolve('uplot/package.json')), 'dist', name));
}

export function fleetFiles(): StaticFiles {
  return new StaticFiles({
    '/': { type: 'text/html; charset=utf-8', load: () => Buffer.from(html) },
    '/fleet/fleet.js': { type: 'text/javascript; charset=utf-8', load: () => Buffer.from(js) },
    '/fleet/fleet.css': { type: 'text/css; charset=utf-8', load: () => Buffer.from(css) },
    '/fleet/uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', load: uplotFile('uPlot.iife.min.js') },
    '/fleet/uPlot.min.css': { type: 'text/css; charset=utf-8', load: uplotFile('uPlot.min.css') },
  });
}

/** Mounts the fleet page (replacing the plain index at /). */
export function mountFleetPage(server: HttpServer): StaticFiles {
  const files = fleetFiles();
  files.mount(server);
  return files;
}
