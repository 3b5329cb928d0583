// Event-stream load: CLIENTS readers hold `GET /events` open on one collector, one item is
// published, and the time until each reader has the new version is measured; also the
// collector's resident memory per open stream. A measurement, not a test: it asserts nothing.
// Bounded: it gives up waiting after TIMEOUT_MS, and closes every socket it opened.
//   node scripts/bench-stream.mjs ORIGIN TOKEN PID [CLIENTS]
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';

const [origin, token, pid, clientsArg] = process.argv.slice(2);
const clients = Number(clientsArg || 10_000);
const TIMEOUT_MS = 60_000;
const { hostname, port } = new URL(origin);

const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const readers = [];
let ready = 0;
let failed = 0;
let wanted = null;
let publishedAt = 0;
const heardAt = [];

function open() {
  const reader = { text: '', heard: false, ready: false };
  const socket = connect({ host: hostname, port: Number(port) }, () => {
    socket.write(`GET /events HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`);
  });
  socket.setNoDelay(true);
  socket.on('data', (chunk) => {
    // Only the tail matters: the start (the current version), then the version waited for.
    reader.text = (reader.text + chunk.toString('latin1')).slice(-256);
    if (!reader.ready && reader.text.includes('\nid: ')) {
      reader.ready = true;
      ready++;
    }
    if (wanted && !reader.heard && reader.text.includes(wanted)) {
      reader.heard = true;
      heardAt.push(performance.now() - publishedAt);
    }
  });
  socket.on('error', () => { failed++; });
  reader.socket = socket;
  readers.push(reader);
}

const before = rss();
const started = performance.now();
// In batches, so that the listen backlog is not overrun.
for (let i = 0; i < clients; i++) {
  open();
  if (i % 250 === 249) await sleep(20);
}
while (ready + failed < clients && performance.now() - started < TIMEOUT_MS) await sleep(50);
const connectSeconds = (performance.now() - started) / 1000;
await sleep(500);
const after = rss();

const version = Number(/\nid: (\d+)/.exec(readers.find((r) => r.ready)?.text ?? '\nid: 0')?.[1] ?? 0);
wanted = `\nid: ${version + 1}\n`;
publishedAt = performance.now();
const response = await fetch(`${origin}/publish`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({ id: 'bench-stream', title: 'Alerte de charge', _depeche: { urgency: 1 } }),
});
const acknowledged = performance.now() - publishedAt;
while (heardAt.length < ready && performance.now() - publishedAt < TIMEOUT_MS) await sleep(10);
for (const r of readers) r.socket.destroy();

const sorted = [...heardAt].sort((a, b) => a - b);
const ms = (v) => (v === undefined ? '–' : v.toFixed(0));
console.log(`| ${clients} | ${ready} | ${failed} | ${connectSeconds.toFixed(1)} | ${response.status} in ${ms(acknowledged)} | ${heardAt.length} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))} | ${ms(sorted.at(-1))} | ${((after - before) / 1024 / Math.max(ready, 1)).toFixed(1)} |`);
