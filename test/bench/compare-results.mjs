// Prints the side-by-side table of a serve-bench run: byoc vs the original Python stack,
// with ratios (requests/s: ours / theirs; p99: theirs / ours, so > 1 means we are better on both).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, algorithm = 'baseline'] = process.argv.slice(2);
const read = (name) => (existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8') : '');

function loadTable(text) {
  const rows = new Map();
  const section = text.split('## load')[1] ?? '';
  for (const line of section.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (!['ping', 'csv_1row', 'csv_100rows', 'json_1inst'].includes(f[0]) || f.length < 10) continue;
    rows.set(f[0], { rps: Number(f[5]), p50: Number(f[6]), p99: Number(f[8]), non2xx: Number(f[10]) });
  }
  return rows;
}
const median = (text) => Number((/median:\s+([0-9.]+) ms/.exec(text) ?? [])[1]);
const memory = (text) => {
  const m = /RSS sum ([0-9.]+) MiB, PSS sum ([0-9.]+) MiB/.exec(text);
  return m ? { rss: Number(m[1]), pss: Number(m[2]) } : undefined;
};

const ours = loadTable(read('byoc.txt'));
const peerText = read('peer.txt');
const theirs = loadTable(peerText);
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const lines = [];
lines.push(`byoc serve (${algorithm} model) vs nginx + gunicorn + Flask, 2 workers, wrk 2 threads / 32 connections, 10 s per endpoint`);
lines.push('');
lines.push('| endpoint | byoc req/s | peer req/s | req/s ratio | byoc p50 ms | byoc p99 ms | peer p99 ms | p99 ratio (peer/byoc) | byoc non-2xx |');
lines.push('|---|---|---|---|---|---|---|---|---|');
for (const name of ['ping', 'csv_1row', 'csv_100rows', 'json_1inst']) {
  const o = ours.get(name) ?? {};
  const t = theirs.get(name) ?? {};
  lines.push(
    `| ${name} | ${fmt(o.rps)} | ${fmt(t.rps)} | ${fmt(o.rps / t.rps, 1)}x | ${fmt(o.p50, 2)} | ${fmt(o.p99, 2)} | ${fmt(t.p99, 2)} | ${fmt(t.p99 / o.p99, 1)}x | ${fmt(o.non2xx)} |`,
  );
}
const coldOurs = median(read('byoc.cold'));
const coldPeer = median(peerText);
const memOurs = memory(read('byoc.mem'));
const memPeer = memory(peerText);
lines.push('');
lines.push(`cold start (process start -> first 200 on /ping, median): byoc ${fmt(coldOurs, 1)} ms, peer ${fmt(coldPeer, 1)} ms`);
lines.push(
  `memory after load (all processes): byoc RSS ${fmt(memOurs?.rss, 1)} MiB / PSS ${fmt(memOurs?.pss, 1)} MiB, peer RSS ${fmt(memPeer?.rss, 1)} MiB / PSS ${fmt(memPeer?.pss, 1)} MiB`,
);
lines.push(`raw results: ${dir}/byoc.txt, ${dir}/peer.txt`);
console.log(lines.join('\n'));
