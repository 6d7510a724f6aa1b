// Prints the side-by-side table of a serve-bench run: byoc vs the original Python stack.
// Inputs in DIR: byoc.<endpoint>.<round>.txt and peer.<endpoint>.<round>.txt (run_load.sh output of
// one endpoint each), byoc.mem/peer.mem (rss.py), byoc.cold/peer.cold (cold_start.py).
// Ratios: requests/s ours / theirs, p99 theirs / ours (so > 1 means we are better on both). The
// req/s ratio is the median of the per-round ratios (each of a byoc run and the peer run right after).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, algorithm = 'baseline', roundsArg = '1'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const ENDPOINTS = ['ping', 'csv_1row', 'csv_100rows', 'json_1inst'];
const read = (name) => (existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8') : '');

/** The measured row of one endpoint in a run_load.sh results file. */
function loadRow(text, endpoint) {
  const section = text.split('## load')[1] ?? '';
  for (const line of section.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === endpoint && f.length >= 10) return { rps: Number(f[5]), p50: Number(f[6]), p99: Number(f[8]), non2xx: Number(f[10]) };
  }
  return undefined;
}
const median = (values) => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const coldMedian = (text) => Number((/median:\s+([0-9.]+) ms/.exec(text) ?? [])[1]);
const memory = (text) => {
  const m = /RSS sum ([0-9.]+) MiB, PSS sum ([0-9.]+) MiB/.exec(text);
  return m ? { rss: Number(m[1]), pss: Number(m[2]) } : undefined;
};
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');

const lines = [];
lines.push(
  `byoc serve (${algorithm} model) vs nginx + gunicorn + Flask, 2 workers, wrk 2 threads / 32 connections, ` +
    `${process.env.DURATION ?? 10} s per endpoint and server, ${rounds} interleaved round(s): medians over rounds`,
);
lines.push('');
const withBefore = read('before.ping.1.txt') !== '' || read(`before.${ENDPOINTS[1]}.1.txt`) !== '';
lines.push(
  '| endpoint | byoc req/s | peer req/s | req/s ratio (min-max) | byoc p50 ms | byoc p99 ms | peer p99 ms | p99 ratio (peer/byoc) | byoc non-2xx |' +
    (withBefore ? ' before req/s | before ratio (min-max) | after/before (min-max) |' : ''),
);
lines.push(`|---|---|---|---|---|---|---|---|---|${withBefore ? '---|---|---|' : ''}`);
const perRound = [];
for (const endpoint of ENDPOINTS) {
  const ours = [];
  const theirs = [];
  for (let r = 1; r <= rounds; r++) {
    ours.push(loadRow(read(`byoc.${endpoint}.${r}.txt`), endpoint) ?? {});
    theirs.push(loadRow(read(`peer.${endpoint}.${r}.txt`), endpoint) ?? {});
  }
  const before = [];
  for (let r = 1; r <= rounds; r++) before.push(loadRow(read(`before.${endpoint}.${r}.txt`), endpoint) ?? {});
  const ratios = ours.map((o, i) => o.rps / theirs[i].rps).filter(Number.isFinite);
  const beforeRatios = before.map((b, i) => b.rps / theirs[i].rps).filter(Number.isFinite);
  const afterBefore = ours.map((o, i) => o.rps / before[i].rps).filter(Number.isFinite);
  const range = (values, d) => (values.length > 1 ? ` (${fmt(Math.min(...values), d)}-${fmt(Math.max(...values), d)})` : '');
  const o = { rps: median(ours.map((x) => x.rps)), p50: median(ours.map((x) => x.p50)), p99: median(ours.map((x) => x.p99)) };
  const t = { rps: median(theirs.map((x) => x.rps)), p99: median(theirs.map((x) => x.p99)) };
  const non2xx = ours.reduce((sum, x) => sum + (Number.isFinite(x.non2xx) ? x.non2xx : 0), 0);
  const spread = ratios.length > 1 ? ` (${fmt(Math.min(...ratios), 1)}-${fmt(Math.max(...ratios), 1)})` : '';
  const beforeCells = withBefore
    ? ` ${fmt(median(before.map((x) => x.rps)))} | ${fmt(median(beforeRatios), 1)}x${range(beforeRatios, 1)} | ${fmt(median(afterBefore), 3)}${range(afterBefore, 3)} |`
    : '';
  lines.push(
    `| ${endpoint} | ${fmt(o.rps)} | ${fmt(t.rps)} | ${fmt(median(ratios), 1)}x${spread} | ${fmt(o.p50, 2)} | ${fmt(o.p99, 2)} | ${fmt(t.p99, 2)} | ${fmt(t.p99 / o.p99, 1)}x | ${non2xx} |${beforeCells}`,
  );
  perRound.push(`  ${endpoint}: ${ours.map((x, i) => `${fmt(x.rps)}/${fmt(theirs[i].rps)}`).join(', ')}`);
}
const memOurs = memory(read('byoc.mem'));
const memPeer = memory(read('peer.mem'));
const memBefore = memory(read('before.mem'));
lines.push('');
lines.push(
  `cold start (process start -> first 200 on /ping, median): byoc ${fmt(coldMedian(read('byoc.cold')), 1)} ms, peer ${fmt(coldMedian(read('peer.cold')), 1)} ms`,
);
const withoutCa = read('byoc.cold-no-extra-ca');
if (withoutCa) lines.push(`  byoc without NODE_EXTRA_CA_CERTS (set on this machine, not in the container): ${fmt(coldMedian(withoutCa), 1)} ms`);
lines.push(
  `memory after load (all processes): byoc RSS ${fmt(memOurs?.rss, 1)} MiB / PSS ${fmt(memOurs?.pss, 1)} MiB, peer RSS ${fmt(memPeer?.rss, 1)} MiB / PSS ${fmt(memPeer?.pss, 1)} MiB`,
);
if (memBefore) lines.push(`memory of the earlier build: RSS ${fmt(memBefore.rss, 1)} MiB / PSS ${fmt(memBefore.pss, 1)} MiB`);
lines.push('req/s per round (byoc/peer):');
lines.push(...perRound);
lines.push(`raw results: ${dir}/{byoc,peer}.<endpoint>.<round>.txt`);
console.log(lines.join('\n'));
