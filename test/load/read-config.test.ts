// capctl.yaml's problems are diagnostics like a desired-state file's: code CAP127, file:line:column,
// the shared translator's words ("did you mean"), and nothing else read.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/index.js';
import { readConfigValue } from '../../src/load/read-config.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map(removeDir));
});

async function config(text: string): Promise<string> {
  const dir = await makeTempDir('capctl-config-');
  temps.push(dir);
  const file = path.join(dir, 'capctl.yaml');
  await writeFile(file, text);
  return file;
}

function problems(file: string): string[] {
  try {
    readConfigValue(file);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).diagnostics.map((d) => `${path.basename(d.file!)}:${d.line}:${d.column} ${d.code} ${d.message}`);
  }
  throw new Error('no error');
}

describe('readConfigValue (capctl.yaml)', () => {
  it('gives its schema problems a code and a place, with "did you mean"', async () => {
    const file = await config('org: acme-prod\ndesierd: x\norgs:\n  acme-prod:\n    connection: nope\n');
    expect(problems(file)).toEqual([
      'capctl.yaml:2:1 CAP127 unknown field "desierd" (did you mean "desired"?)',
      'capctl.yaml:5:17 CAP127 orgs.acme-prod.connection: "nope" is not a connection: use env, jwt or sf:ALIAS',
    ]);
  });

  it('gives a YAML syntax error and a duplicate key a code and a place', async () => {
    expect(problems(await config('desired: d\na: [\n'))).toEqual([expect.stringMatching(/^capctl\.yaml:3:1 CAP127 YAML syntax error: /)]);
    expect(problems(await config('desired: a\ndesired: b\n'))).toEqual([expect.stringMatching(/^capctl\.yaml:2:1 CAP127 .*desired/)]);
  });

  it('reads a valid file, and an empty one as no settings', async () => {
    expect(readConfigValue(await config('desired: access\norg: acme-prod\n'))).toEqual({ desired: 'access', org: 'acme-prod' });
    expect(readConfigValue(await config(''))).toEqual({});
  });
});
