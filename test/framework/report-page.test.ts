/**
 * The training report's layout, in-process: a hand-made ReportDocument as the HTML page (self-contained,
 * charts as inline SVG, every text escaped, charts that ask for a URL refused without any request)
 * and as the terminal summary (aligned columns, warnings, no control characters).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReportChart, ReportDocument } from '../../framework/contract/report.js';
import { renderReportHtml } from '../../framework/report/html-page.js';
import { renderChartSvg } from '../../framework/report/svg-chart.js';
import { renderReportText } from '../../framework/report/text-summary.js';

const EVIL = `<script>alert("x")</script>&'`;
const SVG_NAMESPACES = new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']);

function barChart(title: string, labels: string[]): ReportChart {
  return {
    title,
    spec: {
      data: { values: labels.map((label, i) => ({ label, count: i + 1 })) },
      mark: 'bar',
      encoding: { x: { field: 'label', type: 'nominal', title: 'class' }, y: { field: 'count', type: 'quantitative' } },
    },
    caption: 'Rows per class.',
  };
}

const lineChart: ReportChart = {
  title: 'Learning curve',
  spec: {
    data: { values: [1, 2, 3].map((epoch) => ({ epoch, loss: 1 / epoch })) },
    mark: { type: 'line', point: true },
    encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative' } },
  },
};

/** Two sections, three charts; untrusted text in the places a model directory can fill. */
function sampleDocument(): ReportDocument {
  return {
    title: `Training report: imputing "colour"`,
    subtitle: 'datawig 1.0.0, trained 2026-01-02T03:04:05.000Z',
    summary: {
      columns: ['column', 'metric', 'value', 'baseline'],
      rows: [
        ['colour', 'accuracy', 0.9123456, 0.34],
        [EVIL, 'RMSE', 12, null],
      ],
    },
    warnings: ['The model is old.'],
    sections: [
      {
        heading: 'Column "colour"',
        facts: [
          ['model family', 'network'],
          ['classes', 3],
        ],
        warnings: ['The validation set is too small (12 rows).'],
        notes: ['A note in words.'],
        tables: [{ caption: 'Per class', columns: ['class', 'F1'], rows: [['red', 0.5]] }],
        charts: [barChart('Confusion matrix', ['red', 'green', 'blue']), lineChart],
      },
      {
        heading: `Column "${EVIL}"`,
        facts: [[EVIL, EVIL]],
        warnings: [EVIL],
        notes: [EVIL],
        tables: [{ caption: EVIL, columns: [EVIL, 'x'], rows: [[EVIL, 1]] }],
        charts: [barChart(EVIL, [EVIL, 'ok'])],
      },
    ],
  };
}

const count = (text: string, pattern: RegExp): number => [...text.matchAll(pattern)].length;

describe('renderReportHtml', () => {
  let page: string;
  before(async () => {
    page = await renderReportHtml(sampleDocument());
  });

  it('is self-contained: no script, no link, no external reference; a CSP that forbids loading', () => {
    assert.match(page, /^<!DOCTYPE html>/);
    assert.doesNotMatch(page, /<script/i);
    assert.doesNotMatch(page, /<link/i);
    assert.doesNotMatch(page, /<(img|iframe|object|embed)\b/i);
    assert.doesNotMatch(page, /\bsrc=/i);
    assert.match(page, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    const urls = [...page.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    assert.ok(urls.length > 0, 'the SVG namespaces are there');
    assert.deepEqual(
      urls.filter((u) => !SVG_NAMESPACES.has(u)),
      [],
    );
    // links are the table of contents only; fills by url() point into the page
    for (const [, href] of page.matchAll(/href="([^"]*)"/g)) assert.match(href!, /^#section-\d+$/);
    assert.doesNotMatch(page, /url\((?!#)/);
  });

  it('draws every chart as an inline <svg> in its figure, with its title and caption', () => {
    const figures = page.split('<figure class="chart">').slice(1);
    assert.equal(figures.length, 3);
    for (const figure of figures) {
      assert.match(figure, /^<figcaption>[^<]+<\/figcaption><svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(figure, /<\/svg>/);
    }
    assert.equal(count(page, /<svg\b/g), 3);
    assert.doesNotMatch(page, /class="chart-error"/);
    assert.match(figures[0]!, /^<figcaption>Confusion matrix<\/figcaption>/);
    assert.match(figures[0]!, /<p class="chart-note">Rows per class\.<\/p>/);
    // the chart's data reached the drawing: the class names label the axis
    for (const label of ['red', 'green', 'blue']) assert.match(figures[0]!, new RegExp(`>${label}</text>`));
    assert.match(figures[1]!, /^<figcaption>Learning curve<\/figcaption>/);
  });

  it('has the title, subtitle, section headings and contents, facts, tables, notes and warnings', () => {
    assert.match(page, /<title>Training report: imputing &quot;colour&quot;<\/title>/);
    assert.match(page, /<h1>Training report: imputing &quot;colour&quot;<\/h1>/);
    assert.match(page, /<p class="subtitle">datawig 1\.0\.0, trained 2026-01-02T03:04:05\.000Z<\/p>/);
    assert.equal(count(page, /<h2>/g), 2);
    assert.match(page, /<section id="section-0" class="report-section">\n<h2>Column &quot;colour&quot;<\/h2>/);
    assert.match(page, /<nav><ul><li><a href="#section-0">Column &quot;colour&quot;<\/a><\/li><li><a href="#section-1">/);
    assert.match(page, /<table class="summary"><thead><tr><th scope="col">column<\/th><th scope="col">metric<\/th>/);
    // numbers right-aligned, 4 significant digits; null as a dash
    assert.match(page, /<td>colour<\/td><td>accuracy<\/td><td class="num">0\.9123<\/td><td class="num">0\.34<\/td>/);
    assert.match(page, /<td class="num">12<\/td><td>–<\/td>/);
    assert.match(page, /<ul class="warnings"><li>The model is old\.<\/li><\/ul>/);
    assert.match(page, /<ul class="warnings"><li>The validation set is too small \(12 rows\)\.<\/li><\/ul>/);
    assert.match(page, /<dl class="facts"><dt>model family<\/dt><dd>network<\/dd><dt>classes<\/dt><dd>3<\/dd><\/dl>/);
    assert.match(page, /<p class="note">A note in words\.<\/p>/);
    assert.match(
      page,
      /<table><caption>Per class<\/caption><thead><tr><th scope="col">class<\/th><th scope="col">F1<\/th><\/tr><\/thead><tbody><tr><td>red<\/td>/,
    );
  });

  it('escapes HTML in every text of the document, the charts included', () => {
    assert.doesNotMatch(page, /<script/i);
    assert.doesNotMatch(page, /alert\("x"\)<\/script>/);
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;';
    for (const where of [
      `<td>${escaped}</td><td>RMSE</td>`,
      `<h2>Column &quot;${escaped}&quot;</h2>`,
      `<a href="#section-1">Column &quot;${escaped}&quot;</a>`,
      `<dt>${escaped}</dt><dd>${escaped}</dd>`,
      `<ul class="warnings"><li>${escaped}</li></ul>`,
      `<p class="note">${escaped}</p>`,
      `<caption>${escaped}</caption>`,
      `<th scope="col">${escaped}</th>`,
      `<figcaption>${escaped}</figcaption>`,
    ])
      assert.ok(page.includes(where), where);
    // vega escapes the axis labels it draws from the data
    assert.match(page, />&lt;script&gt;alert\("x"\)/);
  });
});

describe('charts that ask for anything not inline', () => {
  // A local server stands for "the network": the page must be made without a single request to it.
  let server: http.Server;
  let base: string;
  let requests = 0;
  before(async () => {
    server = http.createServer((_req, res) => {
      requests++;
      res.end('a,b\n1,2\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a chart whose data is a URL becomes an error note in its place; the rest of the page renders; nothing is requested', async () => {
    const doc = sampleDocument();
    const urlChart: ReportChart = {
      title: 'From the network',
      spec: { data: { url: `${base}/data.csv` }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } },
    };
    doc.sections[0]!.charts = [urlChart, lineChart];
    const html = await renderReportHtml(doc);
    const figure = html.split('<figure class="chart">')[1]!.split('</figure>')[0]!;
    assert.equal(
      figure,
      `<figcaption>From the network</figcaption><p class="chart-error">This chart could not be drawn: report charts take inline data only (data.values), ` +
        `no URL, file, image or link; this chart asks for &quot;${base}/data.csv&quot;</p>`,
    );
    assert.equal(count(html, /<svg\b/g), 2, 'the learning curve and the second section chart');
    assert.equal(count(html, /<h2>/g), 2);
    assert.equal(requests, 0);
  });

  it('renderChartSvg refuses data, lookup, file, image and link URLs without a request (a link does not crash the process)', async () => {
    const point = { x: { field: 'a', type: 'quantitative' } };
    const specs: Record<string, Record<string, unknown>> = {
      'data url': { data: { url: `${base}/a.json` }, mark: 'point', encoding: point },
      'relative url': { data: { url: 'data/cars.json' }, mark: 'point', encoding: point },
      'file url in a layer': { layer: [{ data: { url: 'file:///etc/passwd' }, mark: 'point', encoding: point }] },
      'lookup from a url': {
        data: { values: [{ a: 1 }] },
        transform: [{ lookup: 'a', from: { data: { url: `${base}/b.csv` }, key: 'a', fields: ['b'] } }],
        mark: 'point',
        encoding: point,
      },
      image: { data: { values: [{ a: 1 }] }, mark: 'image', encoding: { url: { value: `${base}/c.png` } } },
      link: { data: { values: [{ a: 1, h: `${base}/d` }] }, mark: 'point', encoding: { ...point, href: { field: 'h', type: 'nominal' } } },
    };
    for (const [name, spec] of Object.entries(specs))
      await assert.rejects(renderChartSvg({ title: name, spec }), /report charts take inline data only \(data\.values\)/, name);
    assert.equal(requests, 0);
  });

  it('a long URL is quoted shortened', async () => {
    const url = `${base}/${'x'.repeat(500)}`;
    await assert.rejects(renderChartSvg({ title: 'long', spec: { data: { url }, mark: 'point' } }), (error: Error) =>
      error.message.endsWith(`"${url.slice(0, 80)}…"`),
    );
  });

  it('an invalid spec is an error note too, not a failed page', async () => {
    const doc = sampleDocument();
    doc.sections[1]!.charts = [{ title: 'Broken', spec: { mark: 'no-such-mark' } }];
    const html = await renderReportHtml(doc);
    assert.match(html, /<figcaption>Broken<\/figcaption><p class="chart-error">This chart could not be drawn: [^<]+<\/p>/);
    assert.equal(count(html, /<svg\b/g), 2);
  });
});

describe('renderReportText', () => {
  /** The summary lines (title, header, dashes, rows) and everything after them. */
  function parse(text: string): { title: string; header: string; dashes: string; rows: string[]; rest: string[] } {
    const lines = text.split('\n');
    const blank = lines.indexOf('');
    const [title, header, dashes, ...rows] = lines.slice(0, blank);
    return { title: title!, header: header!, dashes: dashes!, rows, rest: lines.slice(blank) };
  }

  /** Cells of a line cut at the column starts given by the dashes line (two spaces between columns). */
  function cut(line: string, dashes: string): string[] {
    const widths = dashes.split('  ').map((d) => d.length);
    const out: string[] = [];
    let at = 0;
    for (const [i, w] of widths.entries()) {
      const cell = line.slice(at, at + w);
      if (i < widths.length - 1) assert.equal(line.slice(at + w, at + w + 2).trim(), '', `two spaces after column ${i} of ${JSON.stringify(line)}`);
      out.push(cell.trimEnd());
      at += w + 2;
    }
    assert.ok(line.length <= at - 2, `nothing past the last column: ${JSON.stringify(line)}`);
    return out;
  }

  it('aligns the summary columns, numbers as in the page, and lists every warning with its section', () => {
    const text = renderReportText(sampleDocument());
    assert.ok(text.endsWith('\n'));
    const { title, header, dashes, rows, rest } = parse(text);
    assert.equal(title, 'Training report: imputing "colour"');
    assert.match(dashes, /^-+( {2}-+){3}$/);
    assert.deepEqual(cut(header, dashes), ['column', 'metric', 'value', 'baseline']);
    assert.deepEqual(
      rows.map((r) => cut(r, dashes)),
      [
        ['colour', 'accuracy', '0.9123', '0.34'],
        [EVIL, 'RMSE', '12', '–'],
      ],
    );
    // every column is as wide as its widest cell
    assert.deepEqual(
      dashes.split('  ').map((d) => d.length),
      [EVIL.length, 'accuracy'.length, '0.9123'.length, 'baseline'.length],
    );
    assert.deepEqual(rest, [
      '',
      'Warnings:',
      '  - The model is old.',
      '  - Column "colour": The validation set is too small (12 rows).',
      `  - Column "${EVIL}": ${EVIL}`,
      '',
    ]);
  });

  it('a row shorter than the header gets dashes; no warnings, no warnings block', () => {
    const doc: ReportDocument = { title: 't', summary: { columns: ['a', 'bb', 'c'], rows: [['x']] }, warnings: [], sections: [{ heading: 'h' }] };
    assert.equal(renderReportText(doc), 't\na  bb  c\n-  --  -\nx  –   –\n');
  });

  it('strips terminal escape sequences and other control characters from every text, keeping the columns aligned', () => {
    const doc = sampleDocument();
    doc.title = 'report \u001b]0;owned\u0007title';
    doc.summary.rows[0]![0] = '\u001b[31mred\u001b[0m\r\nnext';
    doc.summary.columns[1] = 'met\u009bric';
    doc.warnings = ['beep\u0007 \u001b[2J cleared'];
    doc.sections[0]!.heading = 'Column \u001b[1m"x"';
    const text = renderReportText(doc);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(text.replaceAll('\n', ''), /[\u0000-\u001f\u007f-\u009f]/);
    const { title, header, dashes, rows, rest } = parse(text);
    assert.equal(title, 'report  ]0;owned title');
    assert.deepEqual(cut(header, dashes), ['column', 'met ric', 'value', 'baseline']);
    assert.deepEqual(cut(rows[0]!, dashes), [' [31mred [0m  next', 'accuracy', '0.9123', '0.34']);
    assert.ok(rest.includes('  - beep   [2J cleared'));
    assert.ok(rest.includes('  - Column  [1m"x": The validation set is too small (12 rows).'));
  });
});
