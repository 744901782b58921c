// YAML text → documents with the source position of every node (SPEC §3, §10).
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { Codes, type Diagnostic, type SourcePos } from '../model/index.js';

/** Aliases may expand to at most this many nodes per document: more is an alias bomb. */
export const maxAliasCount = 50;

/** Collections may nest at most this deep (the document's own mapping is level 1): deeper is refused. */
export const maxNestingDepth = 64;

/** One YAML document of a file, as data, with where each of its nodes is. */
export interface ParsedDocument {
  file: string;
  /** The document's place in its file, from 0. */
  index: number;
  /** The document as plain data; undefined when YAML problems make it unreliable. */
  value: unknown;
  /** Where the document's content starts. */
  source: SourcePos;
  /** Dotted path (`policies.profiles.1`) → position of the value; `<path>#key` → position of the key. */
  positions: Record<string, SourcePos>;
}

/** The documents of one file and the YAML problems found in it. */
export interface ParseResult {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
  /** How many non-empty documents the file holds, including those left out for a YAML problem. */
  count: number;
}

/**
 * Parses every document of a file. Empty documents (a stray `---`) are skipped; a file with no
 * document at all gets a warning. A document with a YAML problem is reported and left out.
 */
export function parseDocuments(file: string, rawText: string): ParseResult {
  // YAML 1.2 counts a lone CR as a line break (old Mac files); the parser does not. Same length, so offsets hold.
  const text = rawText.replace(/\r(?!\n)/g, '\n');
  const lineCounter = new LineCounter();
  const at = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const stream = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  const streamErrors = 'empty' in stream ? stream.errors : [];
  for (const error of streamErrors) diagnostics.push({ severity: 'error', code: Codes.yamlSyntax, message: `YAML syntax error: ${error.message}`, ...at(error.pos[0]) });

  const all = 'empty' in stream ? [] : stream;
  let count = 0;
  all.forEach((doc, index) => {
    if (isEmptyDocument(doc)) {
      diagnostics.push(...yamlDiagnostics(doc, at, new Map()));
      return;
    }
    count += 1;
    const contents = doc.contents as Node;
    const source = at(contents.range?.[0] ?? 0);
    const walked = walk(contents, at);
    const problems = yamlDiagnostics(doc, at, walked.duplicates);
    if (walked.tooDeep && !problems.some((d) => d.code === Codes.tooDeeplyNested)) problems.push(tooDeep(walked.tooDeep));
    diagnostics.push(...problems);
    if (problems.some((d) => d.severity === 'error')) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      diagnostics.push(
        /resource exhaustion|alias count/i.test(message)
          ? {
              severity: 'error',
              code: Codes.aliasLimit,
              message: `YAML aliases expand beyond the limit of ${maxAliasCount} nodes (an alias bomb?): document not read`,
              ...(walked.firstAlias ?? source),
            }
          : { severity: 'error', code: Codes.yamlSyntax, message: `YAML error: ${message}`, ...source },
      );
      return;
    }
    documents.push({ file, index, value, source, positions: walked.positions });
  });

  if (count === 0 && diagnostics.length === 0) {
    diagnostics.push({ severity: 'warning', code: Codes.emptyFile, message: 'file holds no YAML document (it is empty or only comments)', file, line: 1, column: 1 });
  }
  return { documents, diagnostics, count };
}

/** A document with nothing in it: no content, or an implicit empty scalar. */
function isEmptyDocument(doc: Document): boolean {
  const contents = doc.contents;
  if (contents === null) return true;
  return isScalar(contents) && contents.value === null && contents.range !== undefined && contents.range !== null && contents.range[0] === contents.range[1];
}

interface DuplicateKey {
  name: string;
  first: SourcePos;
}

interface Walked {
  positions: Record<string, SourcePos>;
  /** Offset of a repeated key → its name and where it first appears in its mapping. */
  duplicates: Map<number, DuplicateKey>;
  firstAlias?: SourcePos;
  /** Where the first collection deeper than `maxNestingDepth` starts. */
  tooDeep?: SourcePos;
}

function tooDeep(pos: SourcePos): Diagnostic {
  return { severity: 'error', code: Codes.tooDeeplyNested, message: `too deeply nested: more than ${maxNestingDepth} levels of mappings and lists`, ...pos };
}

/** Records the position of every key and value under `root`, without following aliases. */
function walk(root: Node, at: (offset: number) => SourcePos): Walked {
  const walked: Walked = { positions: {}, duplicates: new Map() };
  const visit = (node: unknown, path: string, depth: number): void => {
    if ((isMap(node) || isSeq(node)) && depth > maxNestingDepth) {
      walked.tooDeep ??= node.range ? at(node.range[0]) : at(0);
      return;
    }
    if (isAlias(node)) {
      if (!walked.firstAlias && node.range) walked.firstAlias = at(node.range[0]);
      return;
    }
    if (isMap(node)) {
      const seen = new Map<string, SourcePos>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const name = isScalar(key) ? String(key.value) : String(key);
        const keyPos = key?.range ? at(key.range[0]) : walked.positions[path] ?? at(0);
        const first = seen.get(name);
        if (first && key?.range) walked.duplicates.set(key.range[0], { name, first });
        else seen.set(name, keyPos);
        const childPath = path === '' ? name : `${path}.${name}`;
        walked.positions[`${childPath}#key`] ??= keyPos;
        const value = pair.value as Node | null;
        walked.positions[childPath] ??= value?.range && !isEmptyScalar(value) ? at(value.range[0]) : keyPos;
        visit(value, childPath, depth + 1);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const childPath = path === '' ? String(i) : `${path}.${i}`;
        const itemNode = item as Node | null;
        if (itemNode?.range) walked.positions[childPath] = at(itemNode.range[0]);
        visit(itemNode, childPath, depth + 1);
      });
    }
  };
  visit(root, '', 1);
  return walked;
}

function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && node.range !== undefined && node.range !== null && node.range[0] === node.range[1];
}

/** The document's own YAML errors and warnings, duplicate keys named with their first place. */
function yamlDiagnostics(doc: Document, at: (offset: number) => SourcePos, duplicates: Map<number, DuplicateKey>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  // One syntax slip often makes the parser repeat itself further down: keep each message once.
  const add = (d: Diagnostic): void => {
    const key = `${d.code}:${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  };
  for (const error of doc.errors) {
    const pos = at(error.pos[0]);
    if (error.code === 'RESOURCE_EXHAUSTION') {
      // The parser ran out of stack: nesting far beyond any declaration's.
      add(tooDeep(pos));
    } else if (error.code === 'DUPLICATE_KEY') {
      const duplicate = duplicates.get(error.pos[0]);
      add({
        severity: 'error',
        code: Codes.duplicateKey,
        message: duplicate
          ? `duplicate key "${duplicate.name}" (first at line ${duplicate.first.line}, column ${duplicate.first.column})`
          : 'duplicate key in a mapping',
        ...pos,
      });
    } else {
      add({ severity: 'error', code: Codes.yamlSyntax, message: `YAML syntax error: ${error.message}`, ...pos });
    }
  }
  for (const warning of doc.warnings) {
    add({ severity: 'warning', code: Codes.yamlSyntax, message: `YAML: ${warning.message}`, ...at(warning.pos[0]) });
  }
  return out;
}
