/** An algorithm's report of a model, as a document and its HTML page (what `byoc report` and training write). */
import type { AnyAlgorithm, ReportContext } from '../contract/algorithm.js';
import type { ReportDocument } from '../contract/report.js';
import { renderReportHtml } from './html-page.js';

/** The page's name in a training job's output data folder. */
export const REPORT_FILE = 'report.html';

export interface ReportPage {
  document: ReportDocument;
  html: string;
}

/** The report, or undefined when the algorithm has none. */
export async function buildReportPage(algorithm: AnyAlgorithm, ctx: ReportContext): Promise<ReportPage | undefined> {
  if (!algorithm.report) return undefined;
  const document = await algorithm.report(ctx);
  return { document, html: await renderReportHtml(document) };
}
