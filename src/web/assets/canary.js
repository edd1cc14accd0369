// The canary dashboard's script: the probes-over-time chart (uPlot, when it
// is built in) and the live refresh. The page works without it: the server
// renders every figure, and the timeline as a table, from which the chart is
// first drawn. Polls /api/report and /api/events every REFRESH_MS while the
// tab is visible; everything from the server is put in the page with
// textContent, never as HTML.
'use strict';

(function () {
  const REFRESH_MS = 5000;
  const LATEST = 25;
  const PREVIEW_BYTES = 64;

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function num(n) { return Number(n).toLocaleString('en-US'); }

  function shortUtc(iso) { return iso.slice(0, 10) + ' ' + iso.slice(11, 19) + 'Z'; }

  function bytesOf(b64) {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // The same view the server renders (canary_pages.cc HexViewHtml).
  function hexView(bytes) {
    const lines = [];
    for (let off = 0; off < bytes.length; off += 16) {
      let hex = '';
      let ascii = '';
      for (let i = 0; i < 16; i++) {
        if (off + i < bytes.length) {
          const c = bytes[off + i];
          hex += c.toString(16).padStart(2, '0') + ' ';
          ascii += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
        } else {
          hex += '   ';
        }
        if (i === 7) hex += ' ';
      }
      lines.push(off.toString(16).padStart(8, '0') + '  ' + hex + ' |' + ascii + '|');
    }
    return lines.join('\n') + '\n';
  }

  function payloadCell(ev) {
    const td = el('td');
    const ps = ev.portscope || {};
    if (ps.summary) {
      td.textContent = num(ps.summary.count) + ' probes past the budget, ' + shortUtc(ps.summary.first) + ' to ' +
        shortUtc(ps.summary.last) + ', ' + num(ps.summary.distinct_ports) + ' ports';
      return td;
    }
    const p = ps.payload;
    if (!p || p.bytes === 0) {
      td.appendChild(el('span', 'none', p && p.truncated ? '(cut)' : 'none'));
      return td;
    }
    // The server's preview is already escaped to printable text (\xNN);
    // shown to about PREVIEW_BYTES characters, the hex view has every byte.
    let preview = p.preview;
    const bytes = bytesOf(p.base64);
    if (bytes.length > PREVIEW_BYTES || preview.length > 4 * PREVIEW_BYTES) preview = preview.slice(0, 4 * PREVIEW_BYTES) + '...';
    const details = el('details', 'payload');
    const summary = el('summary');
    summary.appendChild(el('code', 'preview', preview));
    summary.appendChild(document.createTextNode(' '));
    summary.appendChild(el('span', 'muted', '(' + num(p.bytes) + ' B' + (p.truncated ? ', cut' : '') + ')'));
    details.appendChild(summary);
    details.appendChild(el('pre', 'hex', hexView(bytes)));
    td.appendChild(details);
    return td;
  }

  function link(href, text, className) {
    const a = el('a', className, text);
    a.href = href;
    return a;
  }

  function eventRow(ev) {
    const tr = el('tr');
    const ts = el('td');
    const t = el('time', '', shortUtc(ev['@timestamp']));
    t.dateTime = ev['@timestamp'];
    ts.appendChild(t);
    tr.appendChild(ts);
    const src = el('td');
    src.appendChild(link('/canary/sources/' + encodeURIComponent(ev.source.ip), ev.source.ip, 'mono'));
    tr.appendChild(src);
    const port = el('td');
    const dport = ev.destination && ev.destination.port;
    if (dport !== undefined) port.appendChild(link('/ports/' + encodeURIComponent(String(dport)), String(dport)));
    if (ev.network && ev.network.transport && !(ev.portscope && ev.portscope.summary))
      port.appendChild(document.createTextNode('/' + ev.network.transport));
    tr.appendChild(port);
    tr.appendChild(el('td', '', ev.event.action));
    tr.appendChild(el('td', '', (ev.portscope && ev.portscope.service) || ''));
    tr.appendChild(payloadCell(ev));
    return tr;
  }

  function setText(id, text) {
    const e = document.getElementById(id);
    if (e) e.textContent = text;
  }

  let plot = null;

  // The chart's series from /api/report's timeline.
  function seriesOfReport(timeline) {
    const data = [[], [], []];
    for (const b of timeline.buckets) {
      data[0].push(Date.parse(b.start) / 1000);
      data[1].push(b.probes);
      data[2].push(b.scans);
    }
    return data;
  }

  // The same series from the timeline table the server rendered (its rows
  // carry the figures as data-start-us, data-probes and data-scans).
  function seriesOfTable() {
    const data = [[], [], []];
    for (const tr of document.querySelectorAll('details.timeline tbody tr[data-start-us]')) {
      data[0].push(Number(tr.dataset.startUs) / 1e6);
      data[1].push(Number(tr.dataset.probes));
      data[2].push(Number(tr.dataset.scans));
    }
    return data;
  }

  function drawChart(box, data) {
    if (typeof uPlot === 'undefined') return;
    if (plot) {
      plot.setData(data);
      return;
    }
    const width = Math.max(320, box.clientWidth || 800);
    plot = new uPlot({
      width: width,
      height: 240,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      scales: { x: { time: true } },
      series: [
        { label: 'UTC' },
        { label: 'probes', stroke: '#0b5cad', fill: 'rgba(11,92,173,0.15)', paths: uPlot.paths.stepped({ align: 1 }) },
        { label: 'scans', stroke: '#b42318', scale: 'scans' },
      ],
      axes: [{}, { label: 'probes' }, { side: 1, scale: 'scans', label: 'scans', grid: { show: false } }],
    }, data, box);
    window.addEventListener('resize', () => plot.setSize({ width: Math.max(320, box.clientWidth), height: 240 }));
  }

  async function getJson(url) {
    const res = await fetch(url, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(url + ': ' + res.status);
    return res.json();
  }

  async function refresh(box, range, buckets, live) {
    const q = 'since=' + encodeURIComponent(range);
    try {
      const [report, events] = await Promise.all([
        getJson('/api/report?' + q + '&top=1&buckets=' + buckets),
        getJson('/api/events?' + q + '&limit=' + LATEST),
      ]);
      setText('stat-probes', num(report.totals.probes));
      setText('stat-sources', num(report.totals.sources));
      setText('stat-scans', num(report.totals.scans));
      setText('stat-dropped', num(report.writer.events_dropped + report.writer.alerts_dropped));
      if (box) drawChart(box, seriesOfReport(report.timeline));
      const table = document.getElementById('latest-probes');
      if (table) {
        const body = table.tBodies[0];
        const rows = events.slice().reverse().map(eventRow);
        body.replaceChildren(...rows);
        if (rows.length) {
          table.hidden = false;
          const before = table.previousElementSibling;
          if (before && before.classList.contains('none')) before.hidden = true;
        }
      }
      live.textContent = 'live: updated ' + new Date().toISOString().slice(11, 19) + 'Z';
      live.classList.remove('warn');
    } catch (e) {
      live.textContent = 'live refresh failed (' + e.message + '); retrying';
      live.classList.add('warn');
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    const box = document.getElementById('chart');
    const live = document.getElementById('live');
    if (!box || !live) return;
    const range = box.dataset.range || '24h';
    // As many buckets as the server's table has, so the chart and the table
    // show the same timeline.
    const buckets = Number(box.dataset.buckets) || 48;
    const chart = box.dataset.chart === 'uplot' && typeof uPlot !== 'undefined' ? box : null;
    if (!chart) box.appendChild(el('p', 'none', 'The chart library is not built in; the table below has the figures.'));
    live.textContent = 'live';
    // The page is fresh: the chart starts from the server's table, and the
    // first refresh comes after REFRESH_MS.
    if (chart) drawChart(chart, seriesOfTable());
    setInterval(function () {
      if (document.visibilityState === 'visible') refresh(chart, range, buckets, live);
    }, REFRESH_MS);
  });
})();
