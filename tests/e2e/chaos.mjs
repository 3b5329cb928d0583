// A feed server that misbehaves on demand, for the network-failure tests. Loopback only.
// It also serves the widget (embed.js, pkg/) and a host page, so everything is one real
// origin: Chromium refuses pages that were faked by request interception access to loopback.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { root } from './harness.mjs';

export const GOOD = readFileSync(join(root, 'www/feed.json'));

const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm' };

function serveFile(res, file) {
  try {
    const type = TYPES[file.slice(file.lastIndexOf('.'))] || 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type }).end(readFileSync(file));
  } catch {
    res.writeHead(404).end();
  }
}

/** A host page whose widget reads the feed at `feed`, with extra script and banner attributes. */
function hostPage(feed, attrs, bannerAttrs, card, css) {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><style>${css}</style></head><body>
    <p id="host">Page hôte</p><div data-depeche="banner" ${bannerAttrs}></div>${card ? '<div data-depeche="card"></div>' : ''}
    <p id="below">Texte de la page hôte, sous le bandeau.</p>
    <script type="module" src="/embed.js" data-feed="${feed}" data-time-zone="Africa/Bamako" ${attrs}></script>
    </body></html>`;
}

/** Starts the server; `behaviour[path]` is a function (req, res, hit) run for each request. */
export async function startChaos(behaviour) {
  const hits = {};
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const path = url.pathname;
    if (path === '/embed.js') return serveFile(res, join(root, 'pkg/embed.js'));
    if (path.startsWith('/pkg/')) return serveFile(res, join(root, 'pkg', normalize(path.slice(5)).replace(/^(\.\.\/)+/, '')));
    if (path === '/host.html') {
      const page = hostPage(url.searchParams.get('feed'), url.searchParams.get('attrs') || '', url.searchParams.get('banner') || '', url.searchParams.get('card') !== '0', url.searchParams.get('css') || '');
      return res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
    }
    hits[path] = (hits[path] || []).concat(Date.now());
    const handle = behaviour[path];
    if (!handle) return res.writeHead(404).end();
    handle(req, res, hits[path].length);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    /** The host page reading `feedPath` from this server. */
    host: (feedPath, attrs = '', banner = '', card = true, css = '') =>
      `${origin}/host.html?feed=${encodeURIComponent(feedPath)}&attrs=${encodeURIComponent(attrs)}` +
      `&banner=${encodeURIComponent(banner)}&card=${card ? 1 : 0}&css=${encodeURIComponent(css)}`,
    hits: (path) => hits[path] || [],
    stop: () => new Promise((ok) => { sockets.forEach((s) => s.destroy()); server.close(ok); }),
  };
}

export const json = (body, status = 200, headers = {}) => (req, res) =>
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(body);
