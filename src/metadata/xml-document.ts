// An XML document kept as it was written (pure): fast-xml-parser with preserveOrder, whitespace,
// comments, CDATA and entity text kept verbatim, the prolog (XML declaration, comments before the
// root) and whatever follows the root copied byte for byte. Rendering a document nobody changed
// gives back the same text, except that a self-closing `<x/>` comes back as `<x></x>`; editing
// one element leaves every other byte where it was.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { byCodePoint } from '../plan/names.js';

/** One node of a preserveOrder tree: `{ name: children, ':@'?: attributes }`, `#text`, `#comment` or `#cdata`. */
export type XmlNode = Record<string, unknown>;

/** A parsed document: the bytes before and after the root, and the root node. */
export interface XmlDocument {
  prolog: string;
  root: XmlNode;
  epilogue: string;
}

const options = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  commentPropName: '#comment',
  cdataPropName: '#cdata',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
} as const;

// XML parsers turn CR LF into LF; a private-use character carries each CR through unchanged.
const CR = '\r';
const CR_MARK = '\uE000';

/** Where the root element starts: after the XML declaration, comments, a doctype and whitespace. */
function rootStart(text: string): number {
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    const close = text.startsWith('<?', i) ? '?>' : text.startsWith('<!--', i) ? '-->' : text.startsWith('<!', i) ? '>' : undefined;
    if (close === undefined) return i;
    const end = text.indexOf(close, i);
    if (end < 0) return i;
    i = end + close.length;
  }
}

/** Parses XML text; returns an error message instead when it is not well-formed. */
export function parseXmlDocument(text: string): XmlDocument | { error: string } {
  if (text.includes(CR_MARK)) return { error: 'contains the character U+E000, which capctl does not handle' };
  // A byte order mark stays in the prolog; the validator is given the text after it.
  const valid = XMLValidator.validate(text.replace(/^\uFEFF/, ''));
  if (valid !== true) return { error: `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})` };
  const start = rootStart(text);
  const end = text.lastIndexOf('>') + 1;
  const nodes = new XMLParser(options).parse(text.slice(start, end).split(CR).join(CR_MARK)) as XmlNode[];
  const root = nodes.find((node) => elementName(node) !== undefined);
  if (!root) return { error: 'has no root element' };
  return { prolog: text.slice(0, start), root, epilogue: text.slice(end) };
}

/** The text of a document (see the file comment for what is kept). */
export function renderXmlDocument(doc: XmlDocument): string {
  const body = new XMLBuilder({ ...options, format: false, suppressEmptyNode: false }).build([doc.root]) as string;
  return doc.prolog + body.split(CR_MARK).join(CR) + doc.epilogue;
}

/** The element name of a node, or undefined for text, comments and CDATA. */
export function elementName(node: XmlNode): string | undefined {
  for (const key of Object.keys(node)) if (key !== ':@' && !key.startsWith('#')) return key;
  return undefined;
}

/** The child nodes of an element (the live array: editing it edits the document). */
export function childNodes(element: XmlNode): XmlNode[] {
  const name = elementName(element);
  if (name === undefined) return [];
  const children = element[name];
  if (Array.isArray(children)) return children as XmlNode[];
  element[name] = [];
  return element[name] as XmlNode[];
}

/** The child elements of an element named `name` (all child elements without a name). */
export function childElements(element: XmlNode, name?: string): XmlNode[] {
  return childNodes(element).filter((node) => {
    const n = elementName(node);
    return n !== undefined && (name === undefined || n === name);
  });
}

/** The first child element named `name`. */
export function childElement(element: XmlNode, name: string): XmlNode | undefined {
  return childElements(element, name)[0];
}

/** Decodes the five XML entities and character references. */
export function decodeXmlText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[ref]!;
  });
}

/** Escapes text for element content. */
export function encodeXmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The decoded text content of an element (text and CDATA, in order), CRs restored. */
export function textOf(element: XmlNode): string {
  let out = '';
  for (const node of childNodes(element)) {
    if (typeof node['#text'] === 'string') out += decodeXmlText(node['#text']);
    else if (Array.isArray(node['#cdata'])) for (const inner of node['#cdata'] as XmlNode[]) out += String(inner['#text'] ?? '');
  }
  return out.split(CR_MARK).join(CR);
}

/** The text of the first child element named `name`, trimmed; undefined when there is none. */
export function childText(element: XmlNode, name: string): string | undefined {
  const child = childElement(element, name);
  return child === undefined ? undefined : textOf(child).trim();
}

/** A new element holding `text`. */
export function createElement(name: string, text?: string): XmlNode {
  return { [name]: text === undefined ? [] : [{ '#text': encodeXmlText(text) }] };
}

function isWhitespace(node: XmlNode | undefined): boolean {
  return node !== undefined && typeof node['#text'] === 'string' && /^\s*$/.test(node['#text']);
}

/** The line break and indentation children of `element` sit at, or undefined when it has none. */
function childIndent(element: XmlNode): string | undefined {
  const nodes = childNodes(element);
  const first = nodes.findIndex((node) => elementName(node) !== undefined || node['#comment'] !== undefined);
  const before = first > 0 ? nodes[first - 1] : undefined;
  return isWhitespace(before) && /\n/.test(before!['#text'] as string) ? (before!['#text'] as string) : undefined;
}

/** Inserts `child` at node index `index` of `parent`, indented like its siblings. */
function insertAt(parent: XmlNode, index: number, child: XmlNode, parentIndent: string, unit: string): void {
  const nodes = childNodes(parent);
  const indent = childIndent(parent);
  if (indent !== undefined) {
    // Each element is preceded by its indentation: insert before the whitespace that precedes the
    // node at `index` (or the closing tag), then repeat that whitespace in front of the new element.
    const at = index > 0 && isWhitespace(nodes[index - 1]) ? index - 1 : index;
    nodes.splice(at, 0, { '#text': indent }, child);
    return;
  }
  if (nodes.every(isWhitespace)) {
    nodes.splice(0, nodes.length, { '#text': `\n${parentIndent}${unit}` }, child, { '#text': `\n${parentIndent}` });
    return;
  }
  nodes.splice(index, 0, child);
}

/** The indentation unit of a document (from the root's first child), four spaces by default. */
export function indentUnit(doc: XmlDocument): string {
  const indent = childIndent(doc.root);
  return indent?.replace(/^[^\n]*\n/, '') || '    ';
}

/** Compares element names the way Salesforce orders them in retrieved metadata. */
function namesInOrder(a: string, b: string): number {
  return byCodePoint(a.toLowerCase(), b.toLowerCase());
}

/**
 * Inserts `child` where Salesforce would put it: before the first sibling element whose name sorts
 * after it (after any siblings of the same name), else at the end.
 */
export function insertInOrder(parent: XmlNode, child: XmlNode, where: { parentIndent: string; unit: string }): void {
  const nodes = childNodes(parent);
  const name = elementName(child)!;
  const index = nodes.findIndex((node) => {
    const n = elementName(node);
    return n !== undefined && namesInOrder(n, name) > 0;
  });
  insertAt(parent, index < 0 ? trailingIndex(nodes) : index, child, where.parentIndent, where.unit);
}

/** The index just after the last element or comment (before the closing tag's whitespace). */
function trailingIndex(nodes: XmlNode[]): number {
  let i = nodes.length;
  while (i > 0 && isWhitespace(nodes[i - 1])) i--;
  return i === 0 ? 0 : nodes.length;
}

/** Removes every child element named `name` with the whitespace before it; returns where the first was. */
export function removeChildren(parent: XmlNode, name: string): number | undefined {
  const nodes = childNodes(parent);
  let first: number | undefined;
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (elementName(nodes[i]!) !== name) continue;
    const from = isWhitespace(nodes[i - 1]) ? i - 1 : i;
    nodes.splice(from, i - from + 1);
    first = from;
  }
  return first;
}

/**
 * Sets the text of the child element `name` (the first one when there are several), creating it in
 * Salesforce's order when there is none. Returns whether anything changed: an element that already
 * holds the value is left exactly as it was.
 */
export function setChildText(parent: XmlNode, name: string, value: string, where: { parentIndent: string; unit: string }): boolean {
  const existing = childElement(parent, name);
  if (existing) {
    if (textOf(existing).trim() === value) return false;
    existing[name] = [{ '#text': encodeXmlText(value) }];
    return true;
  }
  insertInOrder(parent, createElement(name, value), where);
  return true;
}

/**
 * Makes the child elements `name` hold exactly `values`, in order. Leaves them alone when they
 * already do; otherwise puts the new ones where the first old one was (or in Salesforce's order).
 */
export function setChildList(parent: XmlNode, name: string, values: readonly string[], where: { parentIndent: string; unit: string }): boolean {
  const current = childElements(parent, name).map((element) => textOf(element).trim());
  if (current.length === values.length && current.every((value, i) => value === values[i])) return false;
  const nodes = childNodes(parent);
  const indent = childIndent(parent);
  let at = removeChildren(parent, name);
  for (const value of values) {
    const child = createElement(name, value);
    if (at === undefined) {
      insertInOrder(parent, child, where);
      continue;
    }
    // `at` points at the whitespace (or element) where the old list began: put each new element
    // there, with the same indentation as its siblings.
    if (indent !== undefined) {
      nodes.splice(at, 0, { '#text': indent }, child);
      at += 2;
    } else {
      nodes.splice(at, 0, child);
      at += 1;
    }
  }
  return true;
}

/** Removes the child elements `name`; returns whether there were any. */
export function removeChildElements(parent: XmlNode, name: string): boolean {
  return removeChildren(parent, name) !== undefined;
}

/** A new document: an XML declaration and a root element in the metadata namespace. */
export function newMetadataDocument(rootName: string): XmlDocument {
  return {
    prolog: '<?xml version="1.0" encoding="UTF-8"?>\n',
    root: { [rootName]: [], ':@': { '@_xmlns': 'http://soap.sforce.com/2006/04/metadata' } },
    epilogue: '\n',
  };
}
