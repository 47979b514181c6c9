/**
 * The live page's script, served as /live/live.js (never inline: the page's Content-Security-Policy allows scripts
 * from the agent only). It is kept as a string in a TypeScript module so the compiled package carries it with no
 * build step of its own. It loads the layout and history from /api/v1/live/history, draws one uPlot chart per
 * panel, then appends the frames of the /api/v1/live/stream event stream.
 *
 * Every chart's element carries `data-points` (points drawn), `data-last` (each column's latest value, JSON) and
 * `data-x` (its time range), and the page's `data-frames` counts the frames received: the browser test reads them.
 */
export const liveJs = String.raw`(function () {
  'use strict';
  var MAX_POINTS = 900;
  var MAX_COLUMNS = 10;
  var palette = ['#2f7ed8', '#d9534f', '#5cb85c', '#f0ad4e', '#8e44ad', '#16a085', '#7f8c8d', '#c0392b', '#2c3e50', '#e67e22'];
  var charts = {};
  var frames = 0;
  var root = document.documentElement;

  function si(v, unit) {
    if (v == null) return '';
    var a = Math.abs(v);
    var k = unit === 'bytes' || unit === 'bytes_per_second' ? 1024 : 1000;
    var names = unit === 'bytes' || unit === 'bytes_per_second' ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['', 'k', 'M', 'G', 'T'];
    var i = 0;
    while (a >= k && i < names.length - 1) { a /= k; v /= k; i++; }
    var s = (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)) + (names[i] ? ' ' + names[i] : '');
    if (unit === 'percent') return v.toFixed(1) + ' %';
    if (unit === 'bytes_per_second') return s + '/s';
    if (unit === 'per_second') return s + '/s';
    if (unit === 'seconds') return s + ' s';
    if (unit === 'cores') return v.toFixed(2);
    return s;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function makeChart(def, section) {
    var box = el('div', 'panel');
    box.id = 'panel-' + def.id;
    box.appendChild(el('h3', null, def.title));
    var plotEl = el('div', 'plot');
    plotEl.setAttribute('data-panel', def.id);
    plotEl.setAttribute('data-points', '0');
    box.appendChild(plotEl);
    section.appendChild(box);
    charts[def.id] = { def: def, el: plotEl, cols: [], seen: [], round: 0, data: [[]], plot: null };
  }

  function opts(c) {
    var series = [{}];
    c.cols.forEach(function (name, i) {
      series.push({ label: name, stroke: palette[i % palette.length], width: 1.5, spanGaps: false, value: function (u, v) { return si(v, c.def.unit); } });
    });
    return {
      width: Math.max(260, c.el.clientWidth || 400),
      height: 170,
      cursor: { sync: { key: 'live' } },
      legend: { live: true },
      scales: { x: { time: true } },
      hooks: {
        setScale: [function (u, key) { if (key === 'x') c.el.setAttribute('data-x', u.scales.x.min + ',' + u.scales.x.max); }],
        ready: [function (u) { showLatest(c, u); }],
      },
      series: series,
      axes: [{}, { size: 70, values: function (u, splits) { return splits.map(function (v) { return si(v, c.def.unit); }); } }],
    };
  }

  function rebuild(c) {
    if (c.plot) c.plot.destroy();
    c.plot = new uPlot(opts(c), c.data, c.el);
  }

  function nulls(n) {
    var a = [];
    for (var k = 0; k < n; k++) a.push(null);
    return a;
  }

  // A chart's column for a series; a full chart (the busiest series change) gives the column of the series with a
  // value longest ago to a new one with a value, so the chart follows the series that matter now.
  function ensureColumn(c, name, v) {
    var i = c.cols.indexOf(name);
    if (i < 0 && c.cols.length < MAX_COLUMNS) {
      c.cols.push(name);
      c.seen.push(0);
      c.data.push(nulls(c.data[0].length));
      i = c.cols.length - 1;
      c.dirty = true;
    } else if (i < 0) {
      if (v == null) return -1;
      for (var j = 0; j < c.cols.length; j++) if (c.seen[j] < c.round && (i < 0 || c.seen[j] < c.seen[i])) i = j;
      if (i < 0) return -1;
      c.cols[i] = name;
      c.data[i + 1] = nulls(c.data[0].length);
      c.dirty = true;
    }
    if (v != null) c.seen[i] = c.round;
    return i + 1;
  }

  function countPoints(c) {
    var n = 0;
    var last = {};
    for (var s = 1; s < c.data.length; s++) {
      for (var k = 0; k < c.data[s].length; k++) if (c.data[s][k] != null) { n++; last[c.cols[s - 1]] = c.data[s][k]; }
    }
    c.el.setAttribute('data-points', String(n));
    c.el.setAttribute('data-last', JSON.stringify(last));
  }

  // Every chart spans the same time range (the change-feed charts start when the page opens, the others earlier).
  function timeRange() {
    var min = Infinity;
    var max = -Infinity;
    Object.keys(charts).forEach(function (id) {
      var x = charts[id].data[0];
      if (x.length) { min = Math.min(min, x[0]); max = Math.max(max, x[x.length - 1]); }
    });
    return min < max ? { min: min, max: max } : null;
  }

  // With no cursor on the charts, each legend shows its series' latest values (not blanks).
  function showLatest(c, u) {
    if (u.cursor.idx != null) return;
    var idxs = [c.data[0].length ? c.data[0].length - 1 : null];
    for (var s = 1; s < c.data.length; s++) {
      var k = c.data[s].length - 1;
      while (k >= 0 && c.data[s][k] == null) k--;
      idxs.push(k >= 0 ? k : null);
    }
    u.setLegend({ idxs: idxs }, false);
  }

  function draw(c, range) {
    if (c.dirty || !c.plot) { c.dirty = false; rebuild(c); } else c.plot.setData(c.data);
    if (range) c.plot.setScale('x', range);
    showLatest(c, c.plot);
    countPoints(c);
  }

  function drawAll() {
    var range = timeRange();
    Object.keys(charts).forEach(function (id) { draw(charts[id], range); });
  }

  function append(id, t, cols) {
    var c = charts[id];
    if (!c) return;
    var idx = [];
    c.round++;
    Object.keys(cols).forEach(function (name) { idx.push([ensureColumn(c, name, cols[name]), cols[name]]); });
    c.data[0].push(t / 1000);
    for (var s = 1; s < c.data.length; s++) c.data[s].push(null);
    idx.forEach(function (p) { if (p[0] > 0) c.data[p[0]][c.data[0].length - 1] = p[1]; });
    if (c.data[0].length > MAX_POINTS) c.data.forEach(function (a) { a.shift(); });
  }

  function table(id, head, rows) {
    var host = document.getElementById(id);
    host.textContent = '';
    if (!rows.length) { host.appendChild(el('p', 'none', 'none')); return; }
    var t = el('table');
    var tr = el('tr');
    head.forEach(function (h) { tr.appendChild(el('th', null, h)); });
    t.appendChild(tr);
    rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (v) { row.appendChild(el('td', null, v)); });
      t.appendChild(row);
    });
    host.appendChild(t);
  }

  function labelsText(l) {
    return Object.keys(l).map(function (k) { return k + '="' + l[k] + '"'; }).join(', ');
  }

  function tables(tb) {
    if (!tb) return;
    table('alerts', ['alert', 'labels', 'active since'], tb.alerts.map(function (a) {
      return [a.alertname, labelsText(a.labels), a.since ? new Date(a.since * 1000).toLocaleTimeString() : ''];
    }));
    table('targets', ['job', 'instance', 'health', 'last scrape'], tb.targets.map(function (t) {
      return [t.job, t.instance, t.up ? 'up' : 'down', t.duration_seconds == null ? '' : (t.duration_seconds * 1000).toFixed(1) + ' ms'];
    }));
    var rows = [];
    Object.keys(tb.cardinality).sort().forEach(function (src) {
      var c = tb.cardinality[src];
      rows.push([src, String(c.series), c.families.map(function (f) { return f[0] + ' (' + f[1] + ')'; }).join(', ')]);
    });
    table('cardinality-table', ['source', 'series', 'families with the most series'], rows);
    document.getElementById('alert-count').textContent = String(tb.alerts.length);
    document.getElementById('alert-banner').hidden = tb.alerts.length === 0;
  }

  function setStatus(text, cls) {
    var s = document.getElementById('status');
    s.textContent = text;
    s.className = cls;
  }

  function start(body) {
    var groups = {};
    document.querySelectorAll('section[data-group]').forEach(function (s) { groups[s.getAttribute('data-group')] = s.querySelector('.charts'); });
    body.layout.forEach(function (def) { makeChart(def, groups[def.group] || groups.host); });
    var h = body.history;
    h.t.forEach(function (t, i) {
      Object.keys(h.panels).forEach(function (id) {
        var cols = {};
        Object.keys(h.panels[id]).forEach(function (col) { cols[col] = h.panels[id][col][i]; });
        append(id, t, cols);
      });
    });
    drawAll();
    tables(body.tables);
    document.getElementById('info').textContent = 'Outrider ' + body.info.version + ' · ' + body.info.series + ' series · history ' + (body.history.t.length ? Math.round((Date.now() - body.history.t[0]) / 60000) + ' min' : 'none');
    var es = new EventSource('/api/v1/live/stream');
    es.addEventListener('frame', function (ev) {
      var f = JSON.parse(ev.data);
      Object.keys(f.panels).forEach(function (id) { append(id, f.t, f.panels[id]); });
      drawAll();
      tables(f.tables);
      frames++;
      root.setAttribute('data-frames', String(frames));
      setStatus('live · ' + new Date(f.t).toLocaleTimeString(), 'ok');
    });
    es.onerror = function () { setStatus('reconnecting…', 'warn'); };
    window.addEventListener('resize', function () {
      Object.keys(charts).forEach(function (id) { var c = charts[id]; if (c.plot) c.plot.setSize({ width: Math.max(260, c.el.clientWidth || 400), height: 170 }); });
    });
  }

  fetch('/api/v1/live/history')
    .then(function (r) { if (!r.ok) throw new Error('history: HTTP ' + r.status); return r.json(); })
    .then(start)
    .catch(function (e) { setStatus(String(e.message || e), 'warn'); });
})();
`;
