// capctl check in a child process, on a copy of the bundled example: the org as it is (exit 1:
// Zapier's standing access is a deny finding), then with --desired and RiskExceptions (excepted,
// expiring soon, expired, matching nothing), and the SARIF output checked against a SARIF 2.1.0
// schema (a subset written from the standard: test/fixtures/sarif-2.1.0-subset.schema.json).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, repoRoot, runCapctl } from '../helpers/cli.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let dir: string;
const zapier = 'org-state/acme-prod/apps/0H4IoCf9Q22Wb81JyK.json';

/** The UTC day `days` from today, as an exception's `expires` (the CLI runs on the real clock). */
function day(days: number): string {
  return new Date(Date.now() + days * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
}

const exception = (fields: string) =>
  `apiVersion: capctl/v1\nkind: RiskException\norg: acme-prod\n${fields}\nreason: vendor migration to JWT\nowner: sales-ops@acme.example\n`;

beforeAll(async () => {
  dir = await makeTempDir('capctl-check-');
  await copyInto('examples/acme', path.join(dir, 'desired'));
  await copyInto('org-state', path.join(dir, 'org-state'));
  await writeFile(path.join(dir, 'desired/exceptions.yaml'), [
    exception(`rule: CAPR001\napp: Zapier\nexpires: ${day(20)}`),
    exception(`rule: CAPR005\nuser: svc-etl@acme.example\nexpires: ${day(-1)}`),
    exception(`rule: CAPR005\nuser: ci-bot@acme.example\nexpires: ${day(200)}`),
    exception(`rule: CAPR002\napp: Zapeir\nexpires: ${day(200)}`),
  ].join('---\n'));
});
afterAll(async () => {
  await removeDir(dir);
});

describe('capctl check', () => {
  it('the org as it is: a deny finding stands (exit 1), pointing at the app in the store', async () => {
    const run = await runCapctl(['check', '--org-state', 'org-state'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('capctl check for acme-prod (00D5e0000001AcmEAA), the org as it is\n');
    expect(run.stdout).toContain(`  ${zapier}:1:1  error  CAPR001  "Zapier" (0H4IoCf9Q22Wb81JyK) lets all users self-authorize`);
    expect(run.stdout).toContain('org-state/acme-prod/users.json:1:1  warning  CAPR005  svc-etl@acme.example holds UseAnyApiClient');
    expect(run.stdout).toMatch(/\nRisk: 1 deny, \d+ warn, 0 excepted\. A deny finding stands\.\n$/);
  });

  it('with --desired: exceptions except, expire, are listed when they expire soon, and warn when they match nothing', async () => {
    const run = await runCapctl(['check', '--desired', 'desired', '--org-state', 'org-state'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('the org as the plan of desired would leave it');
    expect(run.stdout).toContain(`info  CAPR001  "Zapier" (0H4IoCf9Q22Wb81JyK) lets all users`);
    expect(run.stdout).toContain(`Excepted until ${day(20)} by sales-ops@acme.example (desired/exceptions.yaml:1:1): vendor migration to JWT`);
    expect(run.stdout).toContain(`warning  CAPR005  svc-etl@acme.example holds UseAnyApiClient: remove it, or declare a RiskException naming the user. Its exception (sales-ops@acme.example, desired/exceptions.yaml:10:1) expired on ${day(-1)}.`);
    expect(run.stdout).toContain(`desired/exceptions.yaml:6:10  info  CAP328  RiskException for CAPR001 (owner sales-ops@acme.example) expires on ${day(20)}`);
    expect(run.stdout).toContain('desired/exceptions.yaml:28:1  warning  CAP327  RiskException for CAPR002 on app "Zapeir" matches no finding');
    expect(run.stdout).toContain('info  CAPR005  ci-bot@acme.example holds UseAnyApiClient and CanApproveUninstalledApps');
    // declared apps have owners in the example: no CAPR003
    expect(run.stdout).not.toContain('CAPR003');
  });

  it('--format sarif is valid SARIF 2.1.0 with every rule, a location per result and the excepted finding suppressed', async () => {
    const run = await runCapctl(['check', '--desired', 'desired', '--org-state', 'org-state', '--format', 'sarif'], { cwd: dir });
    expect(run.code).toBe(0);
    const log = JSON.parse(run.stdout) as {
      version: string;
      runs: { tool: { driver: { name: string; rules: { id: string; shortDescription: { text: string } }[] } }; results: Record<string, unknown>[] }[];
    };
    const schema = JSON.parse(await readFile(path.join(repoRoot, 'test/fixtures/sarif-2.1.0-subset.schema.json'), 'utf8')) as object;
    const validate = addFormats(new Ajv({ allErrors: true })).compile(schema);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);

    expect(log.version).toBe('2.1.0');
    const [sarifRun] = log.runs;
    expect(sarifRun!.tool.driver.name).toBe('capctl');
    expect(sarifRun!.tool.driver.rules.map((r) => r.id)).toEqual(['CAPR001', 'CAPR002', 'CAPR003', 'CAPR004', 'CAPR005', 'CAPR006', 'CAPR007', 'CAPR008']);
    for (const result of sarifRun!.results) {
      // What GitHub code scanning needs of each result, beyond what the standard requires.
      expect(result).toMatchObject({
        ruleId: expect.stringMatching(/^CAPR\d{3}$/),
        level: expect.stringMatching(/^(error|warning|note|none)$/),
        message: { text: expect.any(String) },
        locations: [{ physicalLocation: { artifactLocation: { uri: expect.any(String) }, region: { startLine: expect.any(Number), startColumn: expect.any(Number) } } }],
      });
    }
    const zap = sarifRun!.results.find((r) => r.ruleId === 'CAPR001');
    expect(zap).toMatchObject({
      level: 'error',
      locations: [{ physicalLocation: { artifactLocation: { uri: zapier }, region: { startLine: 1, startColumn: 1 } } }],
      suppressions: [{ kind: 'external', status: 'accepted', justification: `vendor migration to JWT (owner sales-ops@acme.example, until ${day(20)})` }],
    });
    const declared = sarifRun!.results.find((r) => r.ruleId === 'CAPR007');
    expect(declared).toMatchObject({ locations: [{ physicalLocation: { artifactLocation: { uri: 'desired/org.yaml' }, region: { startLine: 9, startColumn: 24 } } }] });
  });

  it('a SARIF log missing what the standard requires fails the schema (the check can fail)', async () => {
    const schema = JSON.parse(await readFile(path.join(repoRoot, 'test/fixtures/sarif-2.1.0-subset.schema.json'), 'utf8')) as object;
    const validate = addFormats(new Ajv()).compile(schema);
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
    expect(validate({ version: '2.0.0', runs: [] })).toBe(false);
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }] })).toBe(false);
  });

  it('--format json: the findings with their status, place and exception', async () => {
    const run = await runCapctl(['check', '--desired', 'desired', '--org-state', 'org-state', '--format', 'json'], { cwd: dir });
    const report = JSON.parse(run.stdout) as { mode: string; summary: { deny: number; excepted: number }; findings: { rule: string; status: string; file: string }[] };
    expect(report.mode).toBe('planned');
    expect(report.summary).toMatchObject({ deny: 0, excepted: 2 });
    expect(report.findings.find((f) => f.rule === 'CAPR001')).toMatchObject({ status: 'excepted', file: zapier });
  });
});

describe('capctl check and capctl.yaml', () => {
  it("a desired folder in capctl.yaml does not switch check to the plan's view: only --desired does (SPEC §9)", async () => {
    const repo = await makeTempDir('capctl-check-config-');
    try {
      await copyInto('examples/acme', path.join(repo, 'state'));
      await copyInto('org-state', path.join(repo, 'store'));
      await writeFile(path.join(repo, 'capctl.yaml'), 'desired: state\norgState: store\n');
      await writeFile(path.join(repo, 'state/exceptions.yaml'), exception(`rule: CAPR001\napp: Zapier\nexpires: ${day(20)}`));
      const observed = await runCapctl(['check'], { cwd: repo });
      expect(observed.code).toBe(1);
      expect(observed.stdout).toContain('capctl check for acme-prod (00D5e0000001AcmEAA), the org as it is\n');
      expect(observed.stdout).toContain('store/acme-prod/apps/0H4IoCf9Q22Wb81JyK.json:1:1  error  CAPR001');
      const planned = await runCapctl(['check', '--desired', 'state'], { cwd: repo });
      expect(planned.code, planned.stdout).toBe(0);
      expect(planned.stdout).toContain('the org as the plan of state would leave it');
    } finally {
      await removeDir(repo);
    }
  });
});

describe('the GitHub Actions template', () => {
  it('writes the SARIF of capctl check and uploads it to code scanning (test/ci/templates.test.ts runs the step)', async () => {
    const { parse } = await import('yaml');
    const workflow = parse(await readFile(path.join(repoRoot, 'examples/ci/github-actions.yml'), 'utf8')) as {
      permissions: Record<string, string>;
      jobs: { plan: { steps: { run?: string; uses?: string; if?: string; with?: Record<string, string> }[] } };
    };
    expect(workflow.permissions['security-events']).toBe('write');
    const steps = workflow.jobs.plan.steps;
    const check = steps.findIndex((s) => s.run?.includes('npx capctl check') && s.run.includes('--format sarif > capctl-${{ matrix.org }}.sarif'));
    const upload = steps.findIndex((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    expect(check).toBeGreaterThanOrEqual(0);
    expect(upload).toBeGreaterThan(check);
    expect(steps[upload]!.with?.sarif_file).toBe('capctl-${{ matrix.org }}.sarif');
    expect(steps[upload]!.if).toBe('always()');
  });
});
