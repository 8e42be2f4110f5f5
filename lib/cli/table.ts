/** Text columns for people: padded to a width (ANSI colours are applied after padding, so widths stay right). */
export function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function padStart(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

/** A duration in ms, to two significant decimals. */
export function milliseconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}
