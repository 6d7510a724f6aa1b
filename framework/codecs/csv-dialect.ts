/**
 * The framework's one CSV dialect, shared by CsvCodec (request bodies, parsed whole) and readCsv
 * (csv-stream.ts: files and other byte streams, parsed in windows): comma, '"' quotes with '""'
 * escapes, cells kept as strings, blank lines kept as records, and one line break per input ("\n",
 * "\r\n" or "\r"), picked the way papaparse guesses it from the first 1 MiB of text. Also here: how
 * lines are counted in error messages, and what papaparse's error codes mean to a user.
 */
import Papa from 'papaparse';

// Fixed dialect: no delimiter sniffing, no type guessing, blank lines kept as records (dropping one
// would break "one output line per input line", which batch transform relies on to join by position).
export const CSV_DIALECT = { delimiter: ',', quoteChar: '"', escapeChar: '"', header: false, dynamicTyping: false, skipEmptyLines: false } as const;

export type CsvLineBreak = '\n' | '\r\n' | '\r';

/** How much text papaparse looks at to guess the line break: the rest of the input has no say. */
export const LINE_BREAK_SNIFF_CHARS = 1024 * 1024;

/**
 * "\n" when the body holds no "\r" (the usual case: then no other line break is possible), else
 * undefined so that papaparse detects "\r\n" or "\r" itself. Sniffing costs half of a parse.
 */
export function lineBreakOf(text: string): '\n' | undefined {
  return text.indexOf('\r') === -1 ? '\n' : undefined;
}

/**
 * The line break of a text that starts with `prefix` (at least its first LINE_BREAK_SNIFF_CHARS
 * characters, or all of it): the one papaparse picks when it parses the whole text.
 */
export function guessLineBreak(prefix: string): CsvLineBreak {
  const sample = prefix.slice(0, LINE_BREAK_SNIFF_CHARS);
  if (lineBreakOf(sample) === '\n') return '\n';
  return Papa.parse<string[]>(sample, { ...CSV_DIALECT, preview: 1 }).meta.linebreak as CsvLineBreak;
}

/** "\n", or a "\r" not followed by "\n" (a CRLF counts once). */
export function isLineBreakAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a);
}

/** The line breaks (as isLineBreakAt counts them) at offsets start to end - 1 of the text. */
export function countLineBreaks(text: string, start: number, end: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', start); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) count++;
  for (let i = text.indexOf('\r', start); i !== -1 && i < end; i = text.indexOf('\r', i + 1)) {
    if (text.charCodeAt(i + 1) !== 0x0a) count++;
  }
  return count;
}

/** The 1-based line of a character offset. */
export function lineAt(text: string, index: number): number {
  return 1 + countLineBreaks(text, 0, Math.min(index, text.length));
}

/** The problems papaparse reports with this dialect (FieldMismatch needs header: true, delimiter errors sniffing). */
export type CsvSyntaxProblem = 'MissingQuotes' | 'InvalidQuotes';

const PROBLEMS: Record<CsvSyntaxProblem, { title: string; description: string }> = {
  // Titles: csv-parse's names for the same errors, which training failure reasons have carried.
  MissingQuotes: { title: 'Quote Not Closed', description: 'a quoted field is never closed (the quote opens here)' },
  InvalidQuotes: {
    title: 'Invalid Closing Quote',
    description: 'a quoted field\'s closing quote is followed by other characters (inside quotes write a quote as "")',
  },
};

function isKnownProblem(code: string): code is CsvSyntaxProblem {
  return Object.hasOwn(PROBLEMS, code);
}

/** What a papaparse error means, for a user: "a quoted field is never closed (the quote opens here)". */
export function describeCsvError(error: { code: string; message: string }): string {
  return isKnownProblem(error.code) ? PROBLEMS[error.code].description : error.message;
}

/** A short name of the problem ("Quote Not Closed"); the code itself for an unknown one. */
export function csvErrorTitle(code: string): string {
  return isKnownProblem(code) ? PROBLEMS[code].title : code;
}

/** Why a file's header row (trimmed names) cannot name columns: an empty or a repeated name. */
export function csvHeaderProblem(header: string[]): string | undefined {
  const empty = header.map((h, i) => (h === '' ? i + 1 : 0)).filter((i) => i > 0);
  if (empty.length > 0) return `the header has empty column names at position(s) ${empty.join(', ')}`;
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const h of header) (seen.has(h) ? dupes : seen).add(h);
  if (dupes.size > 0) return `the header repeats column name(s) ${[...dupes].map((d) => `"${d}"`).join(', ')}`;
  return undefined;
}
