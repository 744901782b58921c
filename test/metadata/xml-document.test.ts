import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  childElement,
  childText,
  indentUnit,
  parseXmlDocument,
  renderXmlDocument,
  setChildList,
  setChildText,
  type XmlDocument,
} from '../../src/metadata/xml-document.js';
import { metadataSets, overSet } from '../helpers/samples.js';

function parse(text: string): XmlDocument {
  const doc = parseXmlDocument(text);
  if ('error' in doc) throw new Error(doc.error);
  return doc;
}

for (const set of metadataSets) {
  describe.skipIf(!set.present)(overSet('xml documents', set), () => {
    it('renders every file back byte for byte', async () => {
      const samples = await set.list();
      expect(samples.length).toBeGreaterThanOrEqual(set.expected.files);
      for (const sample of samples) {
        const text = await readFile(sample.file, 'utf8');
        expect(renderXmlDocument(parse(text)), sample.sample).toBe(text);
      }
    });
  });
}

describe('xml documents', () => {

  it('keeps comments, CDATA, CR LF line ends, a byte order mark and entities', () => {
    const text = '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- head -->\r\n<A xmlns="x">\r\n    <!-- keep me -->\r\n    <b>R&amp;D &lt;1&gt;</b>\r\n    <c><![CDATA[x<y]]></c>\r\n</A>\r\n';
    const doc = parse(text);
    expect(renderXmlDocument(doc)).toBe(text);
    expect(childText(doc.root, 'b')).toBe('R&D <1>');
    expect(childText(doc.root, 'c')).toBe('x<y');
  });

  it('refuses text that is not well-formed XML, saying why', () => {
    const doc = parseXmlDocument('<A><b></A>');
    expect(doc).toHaveProperty('error');
    expect((doc as { error: string }).error).toMatch(/not well-formed XML/);
  });

  it('changes one element and leaves every other byte alone', () => {
    const text = '<?xml version="1.0" encoding="UTF-8"?>\n<A>\n    <a>1</a>\n    <!-- note -->\n    <m>old</m>\n    <z>2</z>\n</A>\n';
    const doc = parse(text);
    const where = { parentIndent: '', unit: indentUnit(doc) };
    expect(setChildText(doc.root, 'm', 'old', where)).toBe(false);
    expect(renderXmlDocument(doc)).toBe(text);
    expect(setChildText(doc.root, 'm', 'R&D', where)).toBe(true);
    expect(renderXmlDocument(doc)).toBe(text.replace('<m>old</m>', '<m>R&amp;D</m>'));
  });

  it('inserts a missing element where Salesforce orders it, indented like its siblings', () => {
    const doc = parse('<A>\n    <a>1</a>\n    <z>2</z>\n</A>');
    const where = { parentIndent: '', unit: indentUnit(doc) };
    setChildText(doc.root, 'Middle', 'm', where);
    setChildText(doc.root, 'zz', 'last', where);
    expect(renderXmlDocument(doc)).toBe('<A>\n    <a>1</a>\n    <Middle>m</Middle>\n    <z>2</z>\n    <zz>last</zz>\n</A>');
  });

  it('fills an empty element with indented children', () => {
    const doc = parse('<A>\n  <p></p>\n</A>');
    const unit = indentUnit(doc);
    expect(unit).toBe('  ');
    setChildText(childElement(doc.root, 'p')!, 'x', '1', { parentIndent: unit, unit });
    expect(renderXmlDocument(doc)).toBe('<A>\n  <p>\n    <x>1</x>\n  </p>\n</A>');
  });

  it('replaces a repeated element list in place, keeping its position', () => {
    const doc = parse('<A>\n    <a>1</a>\n    <p>x</p>\n    <p>y</p>\n    <b>2</b>\n</A>');
    const where = { parentIndent: '', unit: indentUnit(doc) };
    expect(setChildList(doc.root, 'p', ['x', 'y'], where)).toBe(false);
    expect(setChildList(doc.root, 'p', ['y', 'z', 'w'], where)).toBe(true);
    expect(renderXmlDocument(doc)).toBe('<A>\n    <a>1</a>\n    <p>y</p>\n    <p>z</p>\n    <p>w</p>\n    <b>2</b>\n</A>');
    setChildList(doc.root, 'p', [], where);
    expect(renderXmlDocument(doc)).toBe('<A>\n    <a>1</a>\n    <b>2</b>\n</A>');
  });
});
