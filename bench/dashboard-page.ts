/**
 * Draws a Grafana dashboard JSON the way Grafana lays it out, from a real Prometheus: every
 * timeseries panel's targets are run with /api/v1/query_range, and the panels are placed by their
 * gridPos (24 columns, rows as headings) in a page styled like Grafana's dark theme, charted with
 * Chart.js (read from node_modules into the page: nothing is fetched from elsewhere) and
 * screenshotted with Chromium through playwright-core. Used by dashboard-preview.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: GridPos;
  fieldConfig?: { defaults?: { unit?: string; min?: number; max?: number } };
  targets?: { expr?: string; legendFormat?: string; refId?: string }[];
  panels?: DashboardPanel[];
}

export interface Dashboard {
  title: string;
  panels: DashboardPanel[];
}

export interface Series {
  name: string;
  points: [number, number | null][];
}

export interface PanelData {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos;
  unit: string;
  min?: number;
  max?: number;
  series: Series[];
}

/**
 * What `$__rate_interval` stands for here. Grafana makes it max(4 × scrape interval, step +
 * scrape interval); with its default 15 s scrape interval that is 1m, the usual value.
 */
export const RATE_INTERVAL = '1m';
/** One point every 5 s: short ranges, so every scrape or two shows. */
export const STEP_MS = 5000;

/** The panels in layout order, rows included, with the panels of collapsed rows. */
function flatten(panels: DashboardPanel[]): DashboardPanel[] {
  return panels.flatMap((panel) => [panel, ...flatten(panel.panels ?? [])]);
}

function legendOf(format: string | undefined, metric: Record<string, string>): string {
  if (!format) {
    const labels = Object.entries(metric).map(([name, value]) => `${name}="${value}"`);
    return `{${labels.join(', ')}}`;
  }
  return format.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, label: string) => {
    return metric[label] ?? '';
  });
}

/** Runs every target of every timeseries panel over [from, to] (epoch ms). */
export async function queryPanels(
  dashboard: Dashboard,
  prometheusUrl: string,
  from: number,
  to: number,
): Promise<PanelData[]> {
  const result: PanelData[] = [];
  for (const panel of flatten(dashboard.panels)) {
    const defaults = panel.fieldConfig?.defaults ?? {};
    const data: PanelData = {
      id: panel.id,
      type: panel.type,
      title: panel.title,
      gridPos: panel.gridPos,
      unit: defaults.unit ?? 'short',
      min: defaults.min,
      max: defaults.max,
      series: [],
    };
    result.push(data);
    if (panel.type !== 'timeseries') continue;
    for (const target of panel.targets ?? []) {
      if (!target.expr) continue;
      const query = target.expr.replace(/\$__rate_interval/g, RATE_INTERVAL);
      const params = new URLSearchParams({
        query,
        start: String(from / 1000),
        end: String(to / 1000),
        step: String(STEP_MS / 1000),
      });
      const res = await fetch(`${prometheusUrl}/api/v1/query_range?${params.toString()}`, {
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { result: { metric: Record<string, string>; values: [number, string][] }[] };
      };
      if (body.status !== 'success')
        throw new Error(`panel "${panel.title}": ${query}: ${body.error ?? res.status}`);
      for (const item of body.data?.result ?? []) {
        data.series.push({
          name: legendOf(target.legendFormat, item.metric),
          points: item.values.map(([at, value]) => {
            const number = Number(value);
            return [at * 1000, Number.isFinite(number) ? number : null];
          }),
        });
      }
    }
    data.series.sort((a, b) => a.name.localeCompare(b.name));
  }
  return result;
}

/** Runs in the page: formats values per Grafana unit, lays out the panels, draws the charts. */
const PAGE_SCRIPT = String.raw`
const COLORS = ['#73BF69', '#F2CC0C', '#8AB8FF', '#FF780A', '#F2495C', '#5794F2', '#B877D9',
  '#FADE2A', '#37872D', '#C4162A', '#1F60C4', '#8F3BB8', '#FF9830', '#96D98D', '#CA95E5'];
const CELL = 30, MARGIN = 8, COLUMNS = 24;

function trim(n, decimals) {
  return Number(n.toFixed(decimals)).toString();
}
function decimalsFor(v) {
  const a = Math.abs(v);
  return a === 0 ? 0 : a < 1 ? 3 : a < 10 ? 2 : a < 100 ? 1 : 0;
}
function format(unit, v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  switch (unit) {
    case 'percentunit':
      return trim(v * 100, Math.abs(v) < 0.1 ? 2 : 1) + '%';
    case 's': {
      const a = Math.abs(v);
      if (a === 0) return '0 s';
      if (a < 0.001) return trim(v * 1e6, 0) + ' µs';
      if (a < 1) return trim(v * 1000, a < 0.01 ? 2 : a < 0.1 ? 1 : 0) + ' ms';
      if (a < 60) return trim(v, 2) + ' s';
      if (a < 3600) return trim(v / 60, 1) + ' min';
      return trim(v / 3600, 1) + ' hour';
    }
    case 'reqps':
      return trim(v, decimalsFor(v)) + ' req/s';
    default: {
      const a = Math.abs(v);
      if (a >= 1e6) return trim(v / 1e6, 2) + ' Mil';
      if (a >= 1e3) return trim(v / 1e3, 2) + ' K';
      return trim(v, decimalsFor(v));
    }
  }
}
function clock(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
function stats(points) {
  const values = points.map((p) => p[1]).filter((v) => v !== null);
  if (values.length === 0) return { last: null, mean: null };
  return { last: values[values.length - 1], mean: values.reduce((s, v) => s + v, 0) / values.length };
}

function draw() {
  const board = document.getElementById('board');
  const width = board.clientWidth;
  const column = (width - MARGIN * (COLUMNS - 1)) / COLUMNS;
  let bottom = 0;
  for (const panel of DATA.panels) {
    // Series without a single value in the range (a route not called since: NaN quantiles) are left out.
    panel.series = panel.series.filter((series) => series.points.some((p) => p[1] !== null));
    const g = panel.gridPos;
    const el = document.createElement('div');
    el.style.left = g.x * (column + MARGIN) + 'px';
    el.style.top = g.y * (CELL + MARGIN) + 'px';
    el.style.width = g.w * column + (g.w - 1) * MARGIN + 'px';
    el.style.height = g.h * CELL + (g.h - 1) * MARGIN + 'px';
    bottom = Math.max(bottom, (g.y + g.h) * (CELL + MARGIN));
    board.appendChild(el);
    if (panel.type === 'row') {
      el.className = 'row';
      el.textContent = '⌄ ' + panel.title;
      continue;
    }
    el.className = 'panel';
    const title = document.createElement('div');
    title.className = 'title';
    title.textContent = panel.title;
    el.appendChild(title);
    const body = document.createElement('div');
    body.className = 'body';
    el.appendChild(body);
    if (panel.series.length === 0) {
      body.innerHTML = '<div class="empty">No data</div>';
      continue;
    }
    const holder = document.createElement('div');
    holder.className = 'chart';
    const canvas = document.createElement('canvas');
    holder.appendChild(canvas);
    body.appendChild(holder);
    const legend = document.createElement('table');
    legend.className = 'legend';
    legend.innerHTML = '<thead><tr><th></th><th>Last *</th><th>Mean</th></tr></thead>';
    const tbody = document.createElement('tbody');
    panel.series.forEach((series, i) => {
      const s = stats(series.points);
      const row = document.createElement('tr');
      const name = document.createElement('td');
      name.innerHTML = '<span class="swatch" style="background:' + COLORS[i % COLORS.length] + '"></span>';
      name.appendChild(document.createTextNode(series.name));
      row.appendChild(name);
      for (const v of [s.last, s.mean]) {
        const cell = document.createElement('td');
        cell.textContent = format(panel.unit, v);
        row.appendChild(cell);
      }
      tbody.appendChild(row);
    });
    legend.appendChild(tbody);
    body.appendChild(legend);
    new Chart(canvas, {
      type: 'line',
      data: {
        datasets: panel.series.map((series, i) => ({
          label: series.name,
          data: series.points.map(([x, y]) => ({ x, y })),
          borderColor: COLORS[i % COLORS.length],
          backgroundColor: COLORS[i % COLORS.length] + '1a',
          fill: 'origin',
          borderWidth: 1,
          pointRadius: 0,
          spanGaps: false,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: {
          x: {
            type: 'linear',
            min: DATA.from,
            max: DATA.to,
            grid: { color: 'rgba(204, 204, 220, 0.08)' },
            ticks: { color: '#9fa7b3', stepSize: DATA.tickMs, maxRotation: 0, callback: (v) => clock(v) },
          },
          y: {
            min: panel.min,
            max: panel.max,
            beginAtZero: true,
            grid: { color: 'rgba(204, 204, 220, 0.08)' },
            ticks: { color: '#9fa7b3', maxTicksLimit: 6, callback: (v) => format(panel.unit, v) },
          },
        },
      },
    });
  }
  board.style.height = bottom + 'px';
  window.__drawn = true;
}
draw();
`;

const PAGE_STYLE = `
  * { box-sizing: border-box; }
  body { margin: 0; background: #111217; color: #ccccdc;
    font-family: Inter, "Helvetica Neue", Helvetica, Arial, sans-serif; font-size: 12px; }
  header { display: flex; align-items: center; justify-content: space-between; height: 48px;
    padding: 0 16px; background: #181b1f; border-bottom: 1px solid rgba(204, 204, 220, 0.12); }
  header .crumbs { font-size: 16px; font-weight: 500; }
  header .crumbs span { color: rgba(204, 204, 220, 0.65); }
  header .range { border: 1px solid rgba(204, 204, 220, 0.2); border-radius: 2px; padding: 6px 10px;
    color: #ccccdc; }
  .note { padding: 10px 16px 0; color: rgba(204, 204, 220, 0.65); }
  #board { position: relative; margin: 12px 16px 16px; }
  #board > div { position: absolute; }
  .row { font-size: 16px; font-weight: 500; display: flex; align-items: center; }
  .panel { background: #181b1f; border: 1px solid rgba(204, 204, 220, 0.12); border-radius: 2px;
    display: flex; flex-direction: column; overflow: hidden; }
  .title { height: 32px; line-height: 32px; padding: 0 8px; font-size: 14px; font-weight: 500;
    white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .body { flex: 1; display: flex; min-height: 0; padding: 0 8px 8px; gap: 8px; }
  .chart { position: relative; flex: 1; min-width: 0; }
  .empty { margin: auto; font-size: 14px; color: rgba(204, 204, 220, 0.65); }
  .legend { flex: none; max-width: 46%; align-self: flex-start; border-collapse: collapse;
    max-height: 100%; overflow: hidden; display: block; }
  .legend th { color: #6e9fff; font-weight: 500; text-align: right; padding: 2px 6px;
    border-bottom: 1px solid rgba(204, 204, 220, 0.12); }
  .legend td { padding: 2px 6px; text-align: right; white-space: nowrap;
    border-bottom: 1px solid rgba(204, 204, 220, 0.07); }
  .legend td:first-child { text-align: left; max-width: 260px; overflow: hidden; text-overflow: ellipsis; }
  .swatch { display: inline-block; width: 14px; height: 4px; border-radius: 2px; margin-right: 6px;
    vertical-align: middle; }
`;

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch] ?? ch,
  );
}

function clockUtc(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** Writes the page into `workDir` and screenshots it (full page, 1600 px wide) into `out`. */
export async function renderDashboard(
  dashboard: Dashboard,
  panels: PanelData[],
  options: { out: string; workDir: string; from: number; to: number },
): Promise<void> {
  const chartJs = readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.js'), 'utf8');
  const spanMs = options.to - options.from;
  const data = {
    from: options.from,
    to: options.to,
    tickMs: spanMs > 6 * 60_000 ? 120_000 : spanMs > 3 * 60_000 ? 60_000 : 30_000,
    panels,
  };
  const minutes = Math.round(spanMs / 60_000);
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(dashboard.title)}</title>
<style>${PAGE_STYLE}</style></head>
<body>
<header><div class="crumbs"><span>Dashboards /</span> ${escapeHtml(dashboard.title)}</div>
<div class="range">${clockUtc(options.from)} to ${clockUtc(options.to)} UTC (${minutes} min) · refresh 30s</div></header>
<div class="note">deploy/grafana/wa-verify-dashboard.json drawn from its own queries ($__rate_interval = 1m) against Prometheus scraping a running wa-verify: npm run dashboard:preview</div>
<div id="board"></div>
<script>${chartJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>const DATA = ${JSON.stringify(data).replace(/</g, '\\u003c')};</script>
<script>${PAGE_SCRIPT}</script>
</body></html>`;
  const file = join(options.workDir, 'dashboard.html');
  writeFileSync(file, html);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage({
      viewport: { width: 1600, height: 1000 },
      deviceScaleFactor: 1,
      timezoneId: 'UTC',
    });
    // The page is self-contained: refuse anything that is not the file itself.
    await page.route('**/*', (route) =>
      route.request().url().startsWith('file:') ? route.continue() : route.abort(),
    );
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`file://${file}`);
    await page.waitForFunction('window.__drawn === true', undefined, { timeout: 30_000 });
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);
    await page.screenshot({ path: options.out, fullPage: true });
  } finally {
    await browser.close();
  }
}
