/**
 * Draws a report chart: the vega-lite spec compiled to vega and rendered to an SVG string in
 * Node (no browser, no canvas). vega and vega-lite are imported on first use: only the report
 * command and the end of a training job load them.
 */
import type { ReportChart } from '../contract/report.js';

/** Width and height of a chart's plot area, in pixels, unless its spec says otherwise. */
const DEFAULT_SIZE = { width: 360, height: 240 };

/** vega asks its loader for any data URL or image: refused, so that a report never reaches the network or the disk. */
const refuse = (): Promise<never> => Promise.reject(new Error('report charts take inline data only (data.values), no URL or file'));
const OFFLINE_LOADER = { load: refuse, sanitize: refuse, http: refuse, file: refuse };

export async function renderChartSvg(chart: ReportChart): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const spec = { ...DEFAULT_SIZE, ...chart.spec, config: { background: 'white', font: 'sans-serif', ...(chart.spec.config as object | undefined) } };
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: OFFLINE_LOADER as unknown as ReturnType<typeof vega.loader> });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
