/**
 * Draws a report chart: the vega-lite spec compiled to vega and rendered to an SVG string in
 * Node (no browser, no canvas). vega and vega-lite are imported on first use: only the report
 * command and the end of a training job load them.
 */
import type { ReportChart } from '../contract/report.js';

/** Width and height of a chart's plot area, in pixels, unless its spec says otherwise. */
const DEFAULT_SIZE = { width: 360, height: 240 };

/** The longest part of a refused URL quoted in the error (it comes from an untrusted model directory). */
const MAX_QUOTED_URL = 80;

/**
 * vega asks its loader for every data URL, image and link: this one fetches nothing and notes
 * what was asked, so that a report never reaches the network or the disk. A data load is refused;
 * an image or link is answered with an empty address, because vega's link path has no handler for
 * a refusal (it crashes the process from a detached promise).
 */
function offlineLoader(asked: string[]): Record<string, (uri: unknown) => Promise<unknown>> {
  const note = (uri: unknown): void => {
    asked.push(String(uri));
  };
  const refuse = (uri: unknown): Promise<never> => {
    note(uri);
    return Promise.reject(new Error('report charts take inline data only'));
  };
  const blank = (uri: unknown): Promise<{ href: string }> => {
    note(uri);
    return Promise.resolve({ href: '' });
  };
  return { load: refuse, sanitize: blank, http: refuse, file: refuse };
}

/** The chart as an SVG string; throws when its spec is invalid or asks for anything not inline (a URL, an image, a link). */
export async function renderChartSvg(chart: ReportChart): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const spec = { ...DEFAULT_SIZE, ...chart.spec, config: { background: 'white', font: 'sans-serif', ...(chart.spec.config as object | undefined) } };
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const asked: string[] = [];
  const loader = offlineLoader(asked) as unknown as ReturnType<typeof vega.loader>;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
  let svg: string;
  try {
    // resolves once every load and image the chart asked for has been answered
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  // vega draws a chart whose data did not load as an empty frame: a silent blank would mislead
  if (asked.length) {
    const url = asked[0]!.length > MAX_QUOTED_URL ? `${asked[0]!.slice(0, MAX_QUOTED_URL)}…` : asked[0]!;
    throw new Error(`report charts take inline data only (data.values), no URL, file, image or link; this chart asks for "${url}"`);
  }
  return svg;
}
