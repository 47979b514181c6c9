/** The live page's HTML, served at GET / (no inline script or style: the Content-Security-Policy forbids them). */
export const liveHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outrider live</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/live/uPlot.min.css">
<link rel="stylesheet" href="/live/live.css">
</head>
<body>
<header>
<h1>Outrider live</h1>
<span id="info"></span>
<span id="status" class="warn">loading…</span>
<nav><a href="/metrics">/metrics</a> <a href="/healthz">/healthz</a> <a href="/api/v1/status">/api/v1/status</a> <a href="/api/v1/targets">/api/v1/targets</a></nav>
</header>
<div id="alert-banner" class="banner" hidden><span id="alert-count">0</span> alert(s) firing</div>
<section data-group="host"><h2>Host</h2><div class="charts"></div></section>
<section data-group="pod"><h2>Pod (cgroup)</h2><div class="charts"></div></section>
<section data-group="events"><h2>Alerts, anomalies and forecasts</h2><div class="charts"></div>
<h3>Firing alerts</h3><div id="alerts" class="table"></div></section>
<section data-group="app"><h2>Application</h2><div class="charts"></div></section>
<section data-group="agent"><h2>The agent</h2><div class="charts"></div>
<h3>Scrape targets</h3><div id="targets" class="table"></div>
<h3>Cardinality by source</h3><div id="cardinality-table" class="table"></div></section>
<script src="/live/uPlot.iife.min.js"></script>
<script src="/live/live.js"></script>
</body>
</html>
`;
