// The audience dashboard: views and reads over time (uPlot charts, each with its table for
// screen readers), the read rate, and where views come from, for one alert or all; the
// figures of GET /stats, refreshed live; the table as CSV.
import uPlot from '/pkg/uplot.js';
import { accepted, asWritten, atMs, authorized, count, eachOnItsOwn, lang, number, onChange, percent, raw, read, say, signIn, t, timeOnly, translate } from './desk.js';

const $ = (id) => document.getElementById(id);
const select = $('item');
/** The chart of each series, once made. */
const charts = {};
const dayHour = new Intl.DateTimeFormat(lang, { weekday: 'short', day: 'numeric', hour: 'numeric' });

translate();
signIn(load);

/** The alert chosen (`?item=`), or '' for all. */
const chosen = () => new URLSearchParams(location.search).get('item') || '';

async function load() {
  const listing = await read('/items');
  if (!listing) return;
  // Each alert on its own: one that cannot be chosen (no id) is left out, never the others.
  const options = eachOnItsOwn(listing.items, (i) => {
    const id = i?.id;
    return typeof id === 'string' && id !== '' ? new Option(asWritten(i.title) || id, id) : null;
  }, () => null);
  select.replaceChildren(new Option(t('allItems'), ''), ...options);
  select.value = chosen();
  await refresh();
}

select.addEventListener('change', () => {
  const url = new URL(location.href);
  if (select.value) url.searchParams.set('item', select.value);
  else url.searchParams.delete('item');
  history.replaceState(null, '', url);
  refresh();
});

const query = () => (chosen() ? `?item=${encodeURIComponent(chosen())}` : '');

async function refresh() {
  const stats = await read(`/stats${query()}`);
  if (!stats) return;
  $('views').textContent = count(stats.totals?.views);
  $('reads').textContent = count(stats.totals?.reads);
  $('rate').textContent = share(stats.totals?.read_rate);
  $('updated').textContent = t('updated', atMs(stats.generated_ms, timeOnly));
  series('minutes', stats.minutes, timeOnly);
  series('hours', stats.hours, dayHour);
  const cell = (text, className = '') => Object.assign(document.createElement('td'), { textContent: text, className });
  const row = (...cells) => {
    const tr = document.createElement('tr');
    tr.append(...cells);
    return tr;
  };
  $('origins').tBodies[0].replaceChildren(...eachOnItsOwn(stats.origins, (o) => row(
    cell(o.origin === 'other' ? t('other') : asWritten(o.origin)), cell(count(o.views), 'num'),
    cell(count(o.reads), 'num'), cell(share(o.share), 'num'),
  ), (o) => row(Object.assign(cell(raw(o)), { colSpan: 4 }))));
}

/** A share (0 to 1) as a percentage; none (`null`) as a dash; anything else as written. */
const share = (x) => (x === null ? t('none') : typeof x === 'number' && Number.isFinite(x) ? percent.format(x) : asWritten(x));

/** The chart and the table of one series; `format` says its times (the table's and the axis'). */
function series(id, points, format) {
  const figure = $(id);
  points = Array.isArray(points) ? points : [];
  const rows = eachOnItsOwn(points, (p) => {
    const tr = document.createElement('tr');
    const th = Object.assign(document.createElement('th'), { scope: 'row', textContent: atMs(p.start_ms, format) });
    tr.append(th, ...[p.views, p.reads].map((n) => Object.assign(document.createElement('td'), { className: 'num', textContent: count(n) })));
    return tr;
  }, () => null);
  figure.querySelector('details tbody').replaceChildren(...rows.reverse());
  const data = [points.map((p) => p?.start_ms / 1000), points.map((p) => p?.views), points.map((p) => p?.reads)];
  if (charts[id]) return charts[id].setData(data);
  const plot = figure.querySelector('.plot');
  const css = getComputedStyle(document.documentElement);
  const ink = css.color;
  const colour = (name) => css.getPropertyValue(name).trim();
  charts[id] = new uPlot({
    width: plot.clientWidth,
    height: 240,
    series: [
      { label: t('time'), value: (u, s) => (s == null ? '' : atMs(s * 1000, format)) },
      { label: t('views'), stroke: colour('--views'), width: 2, points: { show: false }, value: (u, v) => (v == null ? '' : number.format(v)) },
      { label: t('reads'), stroke: colour('--reads'), width: 2, dash: [6, 3], points: { show: false }, value: (u, v) => (v == null ? '' : number.format(v)) },
    ],
    axes: [
      { stroke: ink, grid: { stroke: colour('--grid') }, ticks: { stroke: colour('--grid') }, space: 80,
        values: (u, ticks) => ticks.map((s) => atMs(s * 1000, format)) },
      { stroke: ink, grid: { stroke: colour('--grid') }, ticks: { stroke: colour('--grid') }, values: (u, ticks) => ticks.map((v) => number.format(v)) },
    ],
    scales: { y: { range: (u, min, max) => [0, Math.max(4, max)] } },
  }, data, plot);
  new ResizeObserver(() => charts[id].setSize({ width: plot.clientWidth, height: 240 })).observe(plot);
}

$('csv').addEventListener('click', async () => {
  try {
    const response = await fetch(`/stats.csv${query()}`, authorized());
    if (!(await accepted(response, ''))) return;
    const link = Object.assign(document.createElement('a'), {
      href: URL.createObjectURL(await response.blob()),
      download: `depeche-${chosen() || 'all'}.csv`,
    });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  } catch (error) {
    say(t('failed', error.message));
  }
});

onChange(refresh, 10_000);
