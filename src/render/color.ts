// ANSI colour, applied only when asked: callers decide (a terminal, and no NO_COLOR).

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;

/** A colour name. */
export type Color = keyof typeof codes;

/** Wraps text in a colour when `enabled`, else returns it as is. */
export function paint(text: string, color: Color, enabled: boolean): string {
  return enabled ? `\u001b[${codes[color]}m${text}\u001b[0m` : text;
}
