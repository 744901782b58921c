// Where in a JSON text a problem is, as line:column, for messages about store files. Used only
// once something is already wrong (JSON.parse failed, or a schema check did), so it favours being
// simple over being fast: a small scanner that walks the text the way JSON.parse would.

/** A 1-based line and column in a text. */
export interface TextPosition {
  line: number;
  column: number;
}

/** A JSON syntax error: what is wrong and where. */
export interface JsonSyntaxProblem extends TextPosition {
  message: string;
}

/** The 1-based line and column of a character offset. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** The first syntax error of a JSON text, or undefined when it parses. */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  try {
    new Scanner(text, undefined).document();
    return undefined;
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    return { ...positionAt(text, error.offset), message: error.message };
  }
}

/**
 * Where the value at a JSON pointer (`/sessions/3/created`, as ajv reports paths) starts; for an
 * object member, where its key starts. Undefined when the text does not have it.
 */
export function locateJsonPointer(text: string, pointer: string): TextPosition | undefined {
  const scanner = new Scanner(text, pointer);
  try {
    scanner.document();
  } catch (error) {
    if (!(error instanceof ScanError) && !(error instanceof Found)) throw error;
  }
  return scanner.found === undefined ? undefined : positionAt(text, scanner.found);
}

/** A key an object of a JSON text has twice: where its second occurrence starts, and where the first did. */
export interface DuplicateKeyProblem extends TextPosition {
  key: string;
  first: TextPosition;
}

/** The first key that an object of a JSON text has twice, or undefined (also for a text that does not parse). */
export function findDuplicateKey(text: string): DuplicateKeyProblem | undefined {
  const scanner = new Scanner(text, undefined, true);
  try {
    scanner.document();
  } catch (error) {
    if (!(error instanceof ScanError) && !(error instanceof Found)) throw error;
  }
  const found = scanner.duplicate;
  return found === undefined ? undefined : { key: found.key, ...positionAt(text, found.at), first: positionAt(text, found.firstAt) };
}

class ScanError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

class Found extends Error {}

const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

class Scanner {
  private i = 0;
  found: number | undefined;
  duplicate: { key: string; at: number; firstAt: number } | undefined;

  constructor(
    private readonly text: string,
    private readonly target: string | undefined,
    private readonly findDuplicates = false,
  ) {}

  document(): void {
    this.ws();
    if (this.i >= this.text.length) throw new ScanError('the file is empty (expected a JSON value)', this.i);
    this.value('', this.i);
    this.ws();
    if (this.i < this.text.length) throw new ScanError(`unexpected ${this.describe()} after the JSON value`, this.i);
  }

  private mark(path: string, offset: number): void {
    if (path === this.target) {
      this.found = offset;
      throw new Found();
    }
  }

  private value(path: string, markAt: number): void {
    this.mark(path, markAt);
    const c = this.text[this.i];
    if (c === '{') return this.object(path);
    if (c === '[') return this.array(path);
    if (c === '"') return void this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return;
      }
    }
    throw new ScanError(`expected a JSON value, found ${this.describe()}`, this.i);
  }

  private object(path: string): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return;
    }
    const seen = this.findDuplicates ? new Map<string, number>() : undefined;
    for (;;) {
      this.ws();
      if (this.text[this.i] !== '"') throw new ScanError(`expected a double-quoted property name, found ${this.describe()}`, this.i);
      const keyAt = this.i;
      const key = this.string();
      if (seen !== undefined) {
        const firstAt = seen.get(key);
        if (firstAt !== undefined) {
          this.duplicate = { key, at: keyAt, firstAt };
          throw new Found();
        }
        seen.set(key, keyAt);
      }
      this.ws();
      if (this.text[this.i] !== ':') throw new ScanError(`expected ':' after property name, found ${this.describe()}`, this.i);
      this.i++;
      this.ws();
      this.value(`${path}/${escapePointer(key)}`, keyAt);
      this.ws();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return;
      }
      throw new ScanError(`expected ',' or '}' after a property value, found ${this.describe()}`, this.i);
    }
  }

  private array(path: string): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return;
    }
    for (let index = 0; ; index++) {
      this.ws();
      this.value(`${path}/${index}`, this.i);
      this.ws();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return;
      }
      throw new ScanError(`expected ',' or ']' after an array element, found ${this.describe()}`, this.i);
    }
  }

  private string(): string {
    const start = this.i;
    this.i++;
    for (;;) {
      const c = this.text[this.i];
      if (c === undefined) throw new ScanError('unterminated string', start);
      if (c === '"') break;
      if (c === '\\') this.i++;
      else if (c < ' ') throw new ScanError('control character in a string', this.i);
      this.i++;
    }
    this.i++;
    try {
      return JSON.parse(this.text.slice(start, this.i)) as string;
    } catch {
      throw new ScanError('bad escape in a string', start);
    }
  }

  private number(): void {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.i, this.i + 400));
    if (!match) throw new ScanError(`bad number, found ${this.describe()}`, this.i);
    this.i += match[0].length;
  }

  private ws(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i]!)) this.i++;
  }

  private describe(): string {
    const c = this.text[this.i];
    return c === undefined ? 'the end of the file' : JSON.stringify(c);
  }
}
