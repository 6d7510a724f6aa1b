/** Text from data (column names, values, messages) on its way to a terminal. */

/** Escape sequences and other control characters must not reach the terminal: each becomes a space. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/** As printable, line by line: the line breaks stay. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
