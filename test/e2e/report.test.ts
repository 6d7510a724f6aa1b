/**
 * End-to-end: the training report as a user meets it. `byoc train --data` writes
 * output/data/report.html next to the model, `byoc report` writes the same page or fails with
 * exit 1 and the reason, and headless Chromium opens the page offline with every chart drawn.
 * Chromium (Debian's `chromium`) is required under CI; elsewhere its tests skip when it is absent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { BASELINE_HPS, IMDB_DIR, jsonLines, killAll, makeTempDir, removeDir, runByoc } from '../helpers/e2e.js';

const COLOURS = ['red', 'blue', 'green'];

/** colour named in the title, size (few integers: a class column) follows colour, weight (2 decimals) follows size; gaps in all three. */
function table(rows: number): string {
  const lines = ['title,colour,size,weight'];
  for (let i = 0; i < rows; i++) {
    const colour = COLOURS[i % 3]!;
    const size = 10 + (i % 3) * 5 + (i % 2);
    const weight = (size * 1.5 + (i % 5) / 10).toFixed(2);
    lines.push(`a ${colour} shirt number ${i},${i % 10 === 0 ? '' : colour},${i % 7 === 0 ? '' : size},${i % 8 === 0 ? '' : weight}`);
  }
  return `${lines.join('\n')}\n`;
}

let tmp: string;
let modelDir: string;
let trainedPage: string;
let trainLog: string;

before(async () => {
  tmp = await makeTempDir('byoc-e2e-report-');
  const data = path.join(tmp, 'train.csv');
  await writeFile(data, table(240));
  modelDir = path.join(tmp, 'job', 'model');
  // the network family: every column gets a learning curve too; 3 epochs keep it to seconds
  const args = ['train', '--data', data, '--hp', 'algorithm=datawig', '--hp', 'model_family=network', '--hp', 'num_epochs=3', '--model-dir', modelDir];
  const trained = await runByoc(args, {}, 120_000);
  assert.equal(trained.code, 0, trained.stderr);
  trainLog = trained.stdout;
  trainedPage = path.join(tmp, 'job', 'output', 'data', 'report.html');
});
after(async () => {
  killAll();
  await removeDir(tmp);
});

const count = (text: string, pattern: RegExp): number => [...text.matchAll(pattern)].length;

describe('the report of a training job', () => {
  it('byoc train writes <model-dir>/../output/data/report.html and logs where', async () => {
    assert.ok(existsSync(trainedPage), trainedPage);
    const written = jsonLines(trainLog).find((l) => l.msg === 'training report written');
    assert.ok(written, 'a log line names the report');
    assert.equal(written.file, trainedPage);
    const html = await readFile(trainedPage, 'utf8');
    assert.match(html, /<h1>Training report: 3 imputed columns<\/h1>/);
    for (const column of ['colour', 'size', 'weight']) assert.match(html, new RegExp(`<h2>Column &quot;${column}&quot;</h2>`));
    // colour and size: learning curve, confusion matrix, reliability, precision/coverage; weight: learning curve, predicted against true
    assert.equal(count(html, /<figure class="chart">/g), 10);
    assert.equal(count(html, /<svg\b/g), 10);
    assert.doesNotMatch(html, /class="chart-error"/);
    assert.equal(count(html, /<figcaption>Predicted against true values<\/figcaption>/g), 1);
    assert.equal(count(html, /<figcaption>Learning curve<\/figcaption>/g), 3);
  });
});

describe('byoc report', () => {
  it('--output FILE: exit 0, the page training wrote (the model decides it), into a folder made for it', async () => {
    const output = path.join(tmp, 'pages', 'deep', 'report.html');
    const result = await runByoc(['report', '--model', modelDir, '--output', output]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, `wrote the report of ${modelDir} (3 sections) to ${output}\n`);
    assert.equal(await readFile(output, 'utf8'), await readFile(trainedPage, 'utf8'));
  });

  it('--model /nonexistent: exit 1 and says so', async () => {
    const output = path.join(tmp, 'none.html');
    const result = await runByoc(['report', '--model', '/nonexistent', '--output', output]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'byoc report: --model /nonexistent: no such folder\n');
    assert.ok(!existsSync(output));
  });

  describe('a damaged model dir: exit 1 with the reason, nothing written', { concurrency: 2 }, () => {
    const editManifest = (edit: (m: { format: number; algorithm: { name: string } }) => void) => async (dir: string) => {
      const file = path.join(dir, 'manifest.json');
      const manifest = JSON.parse(await readFile(file, 'utf8')) as { format: number; algorithm: { name: string } };
      edit(manifest);
      await writeFile(file, JSON.stringify(manifest));
    };
    const cases: [string, (dir: string) => Promise<void>, (dir: string) => RegExp][] = [
      ['no manifest', (dir) => rm(path.join(dir, 'manifest.json')), (dir) => new RegExp(`^byoc report: no model found: ${dir} has no manifest\\.json`)],
      [
        'a manifest cut short',
        (dir) => writeFile(path.join(dir, 'manifest.json'), '{"format": 1, "algorithm": {'),
        (dir) => new RegExp(`^byoc report: model manifest ${dir}/manifest\\.json is corrupt: .*not valid JSON`),
      ],
      [
        'a manifest of another format',
        editManifest((m) => {
          m.format = 2;
        }),
        (dir) => new RegExp(`^byoc report: model manifest ${dir}/manifest\\.json is invalid: format`),
      ],
      [
        'a manifest naming an unknown algorithm',
        editManifest((m) => {
          m.algorithm.name = 'nosuch';
        }),
        (dir) => new RegExp(`^byoc report: unknown algorithm "nosuch" \\(named by the model manifest in ${dir}\\); registered algorithms: .*datawig`),
      ],
      [
        'a tampered target.json',
        (dir) => writeFile(path.join(dir, 'targets', '0', 'target.json'), '{"label": "<script>"}'),
        (dir) => new RegExp(`^byoc report: the model in ${dir} cannot be reported on: targets/0/target\\.json: "format" is missing`),
      ],
    ];
    for (const [name, damage, message] of cases)
      it(name, async () => {
        const dir = path.join(tmp, `damaged-${name.replaceAll(' ', '-')}`);
        await cp(modelDir, dir, { recursive: true });
        await damage(dir);
        const output = path.join(tmp, `damaged-${name.replaceAll(' ', '-')}.html`);
        const result = await runByoc(['report', '--model', dir, '--output', output]);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, message(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        assert.equal(result.stderr.split('\n').length, 2, `one line: ${result.stderr}`);
        assert.ok(!existsSync(output));
      });
  });

  it('a model of an algorithm without a report: exit 1 and says so', async () => {
    const dir = path.join(tmp, 'baseline', 'model');
    const hps = Object.entries(BASELINE_HPS).flatMap(([k, v]) => ['--hp', `${k}=${v}`]);
    const trained = await runByoc(['train', '--data', path.join(IMDB_DIR, 'train.csv'), ...hps, '--model-dir', dir]);
    assert.equal(trained.code, 0, trained.stderr);
    assert.ok(!existsSync(path.join(tmp, 'baseline', 'output', 'data', 'report.html')), 'training wrote no page either');
    const result = await runByoc(['report', '--model', dir, '--output', path.join(tmp, 'baseline.html')]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'byoc report: algorithm "baseline" has no report\n');
  });
});

/** The first of Chromium's names on PATH, or undefined. */
function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome'])
    for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
      const file = path.join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not in this folder
      }
    }
  return undefined;
}

/** Flags that keep Chromium off the network and out of the user's profile. */
function chromiumFlags(profile: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--disable-sync',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-default-apps',
    '--disable-domain-reliability',
    '--disable-breakpad',
    // no address resolves but the loopback one (the content security policy test serves on it)
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    `--user-data-dir=${profile}`,
  ];
}

/** Runs Chromium to its end (SIGKILL to its process group after timeoutMs); its standard output. */
async function runChromium(binary: string, args: string[], home: string, timeoutMs = 90_000): Promise<string> {
  const child = spawn(binary, args, {
    // its own process group: the renderer and helper processes go with it
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
      timer = setTimeout(() => reject(new Error(`chromium did not finish within ${timeoutMs} ms\n${stderr.slice(-2000)}`)), timeoutMs);
    });
    assert.equal(code, 0, `chromium ${args.at(-1)} exited with ${code}\n${stderr.slice(-2000)}`);
    return stdout;
  } finally {
    clearTimeout(timer);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group has ended already
    }
  }
}

interface Png {
  width: number;
  height: number;
  /** RGB(A) rows, unfiltered. */
  pixel(x: number, y: number): [number, number, number];
}

/** Decodes an 8-bit RGB or RGBA PNG (what Chromium's screenshots are). */
function decodePng(file: Buffer): Png {
  assert.deepEqual([...file.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < file.length;) {
    const length = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    const data = file.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
      assert.equal(data[8], 8, 'bit depth');
      assert.equal(data[12], 0, 'not interlaced');
      channels = ({ 2: 3, 6: 4 } as Record<number, number>)[data[9]!] ?? assert.fail(`colour type ${data[9]}`);
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[y * stride + i - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const c = i >= channels && y > 0 ? out[(y - 1) * stride + i - channels]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter] ?? assert.fail(`filter ${filter}`);
      out[y * stride + i] = (line[i]! + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const o = y * stride + x * channels;
      return [out[o]!, out[o + 1]!, out[o + 2]!];
    },
  };
}

describe('the page in headless Chromium', () => {
  const chromium = findChromium();
  const needChromium = (skip: (message: string) => void): string | undefined => {
    if (chromium) return chromium;
    const message = 'chromium is required for the report page test (apt-get install chromium): none of chromium, chromium-browser, google-chrome is on PATH';
    if (process.env.CI && !['0', 'false'].includes(process.env.CI)) assert.fail(message);
    skip(message);
    return undefined;
  };
  let home: string;
  before(async () => {
    home = path.join(tmp, 'chromium-home');
    await mkdir(home, { recursive: true });
  });

  it('opens the page offline: every chart an <svg> in the DOM, the headings and tables there, no script', async (t) => {
    const binary = needChromium((m) => t.skip(m));
    if (!binary) return;
    const html = await readFile(trainedPage, 'utf8');
    const dom = await runChromium(binary, [...chromiumFlags(path.join(home, 'dom')), '--dump-dom', pathToFileURL(trainedPage).href], home);
    const figures = count(html, /<figure class="chart">/g);
    assert.equal(figures, 10);
    assert.ok(count(dom, /<svg\b/g) >= figures, `${count(dom, /<svg\b/g)} <svg> for ${figures} charts`);
    assert.equal(count(dom, /<figure class="chart"><figcaption>[^<]+<\/figcaption><svg\b/g), figures, 'each figure starts with its drawing');
    assert.match(dom, /<h1>Training report: 3 imputed columns<\/h1>/);
    for (const column of ['colour', 'size', 'weight']) assert.match(dom, new RegExp(`<h2>Column "${column}"</h2>`));
    assert.match(dom, /<table class="summary">/);
    assert.equal(count(dom, /<tr>/g), count(html, /<tr>/g), 'the browser parsed every table row the page has');
    assert.doesNotMatch(dom, /<script/i);
  });

  it('the page loads nothing even when something in it asks (its content security policy)', async (t) => {
    const binary = needChromium((m) => t.skip(m));
    if (!binary) return;
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(req.url!);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const html = await readFile(trainedPage, 'utf8');
      const asks = `<img src="${base}/pixel.png"><link rel="stylesheet" href="${base}/style.css"><script src="${base}/x.js"></script>`;
      const open = async (name: string, page: string): Promise<string> => {
        const file = path.join(tmp, `${name}.html`);
        await writeFile(file, page.replace('<body>', `<body>${asks}`));
        return runChromium(binary, [...chromiumFlags(path.join(home, name)), '--dump-dom', pathToFileURL(file).href], home);
      };
      // the control: without the policy the same elements do reach the server
      await open('no-policy', html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, ''));
      assert.deepEqual(paths.sort(), ['/pixel.png', '/style.css', '/x.js']);
      paths.length = 0;
      const dom = await open('policy', html);
      assert.match(dom, /<img src="http:\/\/127\.0\.0\.1:\d+\/pixel\.png">/, 'the element is there, its load was refused');
      assert.deepEqual(paths, []);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a screenshot of the page shows the charts in their colours', async (t) => {
    const binary = needChromium((m) => t.skip(m));
    if (!binary) return;
    /** Pixels (every other row and column) in vega's first two category colours: the charts' lines and points; nothing else on the page has them. */
    const chartPixels = async (name: string, file: string): Promise<number> => {
      const shot = path.join(tmp, `${name}.png`);
      const args = [...chromiumFlags(path.join(home, name)), `--screenshot=${shot}`, '--window-size=1200,3200', '--hide-scrollbars', pathToFileURL(file).href];
      await runChromium(binary, args, home);
      assert.ok((await stat(shot)).size > 20_000, 'not a blank page');
      const png = decodePng(await readFile(shot));
      assert.deepEqual([png.width, png.height], [1200, 3200]);
      const palette = [
        [0x4c, 0x78, 0xa8],
        [0xf5, 0x85, 0x18],
      ];
      let found = 0;
      for (let y = 0; y < png.height; y += 2)
        for (let x = 0; x < png.width; x += 2) {
          const rgb = png.pixel(x, y);
          if (palette.some((c) => c.every((v, i) => Math.abs(v - rgb[i]!) <= 24))) found++;
        }
      return found;
    };
    const withCharts = await chartPixels('shot', trainedPage);
    // the control: the same page with its drawings taken out
    const bare = path.join(tmp, 'bare.html');
    await writeFile(bare, (await readFile(trainedPage, 'utf8')).replace(/<svg\b[\s\S]*?<\/svg>/g, ''));
    const withoutCharts = await chartPixels('bare', bare);
    t.diagnostic(`pixels in the chart colours: ${withCharts} with the charts, ${withoutCharts} without`);
    assert.ok(withCharts > 300 && withoutCharts < withCharts / 50, `pixels in the chart colours: ${withCharts} with the charts, ${withoutCharts} without`);
  });
});
