// The audience dashboard: views and reads over time (uPlot charts, each with its table for
// screen readers), the read rate, and where views come from, for one alert or all; the
// figures of GET /stats, refreshed live; the table as CSV.
import uPlot from '/pkg/uplot.js';
import { accepted, authorized, lang, number, onChange, percent, read, say, signIn, t, timeOnly, translate } from './desk.js';

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
  const options = listing.items.map((i) => new Option(i.title, i.id));
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
  $('views').textContent = number.format(stats.totals.views);
  $('reads').textContent = number.format(stats.totals.reads);
  $('rate').textContent = stats.totals.read_rate === null ? t('none') : percent.format(stats.totals.read_rate);
  $('updated').textContent = t('updated', timeOnly.format(new Date(stats.generated_ms)));
  series('minutes', stats.minutes, timeOnly);
  series('hours', stats.hours, dayHour);
  const cell = (text, className = '') => Object.assign(document.createElement('td'), { textContent: text, className });
  $('origins').tBodies[0].replaceChildren(...stats.origins.map((o) => {
    const tr = document.createElement('tr');
    tr.append(cell(o.origin === 'other' ? t('other') : o.origin), cell(number.format(o.views), 'num'),
      cell(number.format(o.reads), 'num'), cell(o.share === null ? t('none') : percent.format(o.share), 'num'));
    return tr;
  }));
}

/** The chart and the table of one series; `format` says its times (the table's and the axis'). */
function series(id, points, format) {
  const figure = $(id);
  const rows = points.map((p) => {
    const tr = document.createElement('tr');
    const th = Object.assign(document.createElement('th'), { scope: 'row', textContent: format.format(new Date(p.start_ms)) });
    tr.append(th, ...[p.views, p.reads].map((n) => Object.assign(document.createElement('td'), { className: 'num', textContent: number.format(n) })));
    return tr;
  });
  figure.querySelector('details tbody').replaceChildren(...rows.reverse());
  const data = [points.map((p) => p.start_ms / 1000), points.map((p) => p.views), points.map((p) => p.reads)];
  if (charts[id]) return charts[id].setData(data);
  const plot = figure.querySelector('.plot');
  const css = getComputedStyle(document.documentElement);
  const ink = css.color;
  const colour = (name) => css.getPropertyValue(name).trim();
  charts[id] = new uPlot({
    width: plot.clientWidth,
    height: 240,
    series: [
      { label: t('time'), value: (u, s) => (s == null ? '' : format.format(new Date(s * 1000))) },
      { label: t('views'), stroke: colour('--views'), width: 2, points: { show: false }, value: (u, v) => (v == null ? '' : number.format(v)) },
      { label: t('reads'), stroke: colour('--reads'), width: 2, dash: [6, 3], points: { show: false }, value: (u, v) => (v == null ? '' : number.format(v)) },
    ],
    axes: [
      { stroke: ink, grid: { stroke: colour('--grid') }, ticks: { stroke: colour('--grid') }, space: 80,
        values: (u, ticks) => ticks.map((s) => format.format(new Date(s * 1000))) },
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
