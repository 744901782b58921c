// The README's "Security checks and incidents" stays true: its rule table is the rule pack, its
// YAML examples validate, and its `capctl check` excerpt is real output of the bundled store.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../src/load/load-desired.js';
import { riskRules } from '../src/plan/risk/rules.js';
import { makeTempDir, removeDir, repoRoot, runCapctl } from './helpers/cli.js';

const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
const start = readme.indexOf('\n## Security checks and incidents\n');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const blocks = (language: string) => [...section.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map(removeDir));
});

describe('README "Security checks and incidents"', () => {
  it('lists every rule with its default level', () => {
    expect(start).toBeGreaterThan(0);
    const rows = [...section.matchAll(/^\| `(CAPR\d{3})` \| (\w+) \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(riskRules.map((r) => [r.id, r.level]));
  });

  it('its YAML examples are valid desired state (the exception within a year of the day the text was written)', async () => {
    const dir = await makeTempDir('capctl-readme-risk-');
    temps.push(dir);
    const yaml = blocks('yaml');
    expect(yaml).toHaveLength(2);
    for (const [i, block] of yaml.entries()) await writeFile(path.join(dir, `example-${i + 1}.yaml`), block);
    const { diagnostics, desired } = await loadDesiredState(dir, { now: new Date('2026-12-01T00:00:00Z') });
    expect(diagnostics).toEqual([]);
    const org = desired.orgs['acme-prod']!;
    expect(org.settings?.doc.rules).toEqual({ CAPR003: 'deny', CAPR006: 'off' });
    expect(org.apps[0]?.doc).toMatchObject({ vendor: 'Salesloft', criticality: 'high' });
    expect(org.exceptions?.[0]?.doc).toMatchObject({ rule: 'CAPR005', user: 'svc-etl@acme.example' });
  });

  it('its capctl check excerpt is what check prints on the bundled store', async () => {
    const [excerpt] = blocks('console');
    const lines = excerpt!.split('\n').filter((l) => l !== '' && l.trim() !== '…');
    expect(lines[0]).toBe('$ npx capctl check --org-state org-state');
    const run = await runCapctl(lines[0]!.split(' ').slice(3));
    expect(run.code).toBe(1);
    const output = run.stdout.split('\n');
    let at = 0;
    for (const line of lines.slice(1)) {
      const found = output.indexOf(line, at);
      expect(found, `README line in the real output, in order: ${line}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });
});
