// The one way capctl writes a count: `1 session`, `2 sessions` (pure; every folder may use it).

/** The noun for `n` of them: `noun` for one, `plural` (noun + "s" unless given) otherwise. */
export function plural(n: number, noun: string, pluralForm = `${noun}s`): string {
  return n === 1 ? noun : pluralForm;
}

/** `1 session`, `2 sessions`. */
export function count(n: number, noun: string, pluralForm = `${noun}s`): string {
  return `${n} ${plural(n, noun, pluralForm)}`;
}
