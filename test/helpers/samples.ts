// The Salesforce metadata the metadata tests run over, in two sets:
//
// - capctl's own fixtures, test/metadata/fixtures/<tree>/force-app/…: small files written for this
//   project in the shapes Salesforce exports (every type capctl reads or recognises, and the awkward
//   ones: SSO only, canvas, logo only, external client app policy files, settings, a byte order mark
//   and CR LF). They are always there, so every metadata test runs on a fresh clone.
// - the real samples of ../shared/samples/salesforce-metadata/, read in place (never copied into
//   the repository), named `<owner>__<repo>__<file>`. They are beside the repository only where the
//   shared folder is (CI has it); the suites over them are skipped, saying so, where it is not.
//
// A test that needs an sfdx tree builds one per tree (fixtures) or repository (samples) in a
// temporary folder.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot, sharedRoot } from './cli.js';

/** The folder of the real samples. */
export const samplesDir = path.join(sharedRoot, 'samples/salesforce-metadata');
/** The folder of capctl's own fixtures: one sfdx tree per folder. */
export const fixturesDir = path.join(repoRoot, 'test/metadata/fixtures');

/** One metadata file of a set: its id, the tree it belongs to, its file name, where it is, and where it goes in its tree. */
export interface Sample {
  /** Unique in its set: the file name in the samples folder, or the path below the fixtures folder. */
  sample: string;
  /** The tree (fixtures) or repository (samples) it belongs to. */
  repo: string;
  name: string;
  /** Its absolute path, to read it in place. */
  file: string;
  /** Its path inside its tree. */
  placed: string;
}

/** A set of metadata files the metadata tests run over. */
export interface MetadataSet {
  /** How test titles name it. */
  title: string;
  /** Whether its files are here. */
  present: boolean;
  /** What it holds, for the assertions that count. */
  expected: { files: number; documents: number; ignored: number };
  list(): Promise<Sample[]>;
}

const folders: [RegExp, string][] = [
  [/\.connectedApp-meta\.xml$/, 'connectedApps'],
  [/\.eca-meta\.xml$/, 'externalClientApps'],
  [/\.ecaOauthPlcy-meta\.xml$/, 'extlClntAppOauthPolicies'],
  [/\.ecaGlblOauth-meta\.xml$/, 'extlClntAppGlobalOauthSets'],
  [/\.ecaOauth-meta\.xml$/, 'extlClntAppOauthSettings'],
  [/\.ecaPlcy-meta\.xml$/, 'extlClntAppPolicies'],
  [/\.ecaOauthSecurity-meta\.xml$/, 'extlClntAppOauthSecuritySettings'],
  [/\.blacklistedConsumer-meta\.xml$/, 'blacklistedConsumers'],
  [/\.settings-meta\.xml$/, 'settings'],
];

/** The sfdx folder (below force-app/main/default) a sample belongs in. */
export function folderOf(name: string): string {
  const match = folders.find(([pattern]) => pattern.test(name));
  if (!match) throw new Error(`no folder for sample ${name}`);
  return match[1];
}

/** capctl's own fixtures: always there. */
export const fixtures: MetadataSet = {
  title: "capctl's own metadata fixtures",
  present: true,
  // 3 trees; 12 apps and 2 org settings; the 4 external client app files capctl never manages.
  expected: { files: 27, documents: 14, ignored: 4 },
  async list() {
    const samples: Sample[] = [];
    for (const tree of (await readdir(fixturesDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)) {
      for (const entry of await readdir(path.join(fixturesDir, tree), { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        const placed = path.relative(path.join(fixturesDir, tree), file);
        samples.push({ sample: path.join(tree, placed), repo: tree, name: entry.name, file, placed });
      }
    }
    return samples.sort((a, b) => (a.sample < b.sample ? -1 : 1));
  },
};

/** The real samples of ../shared/samples: there only beside a checkout that has the shared folder. */
export const realSamples: MetadataSet = {
  title: 'the real metadata samples of ../shared/samples',
  present: existsSync(samplesDir),
  // 6 repositories; 17 apps and 2 org settings.
  expected: { files: 30, documents: 19, ignored: 4 },
  async list() {
    const names = (await readdir(samplesDir)).sort();
    return names.map((sample) => {
      const parts = sample.split('__');
      const name = parts.slice(2).join('__');
      return { sample, repo: parts.slice(0, 2).join('__'), name, file: path.join(samplesDir, sample), placed: path.join('force-app/main/default', folderOf(name), name) };
    });
  },
};

/** Both sets, fixtures first. */
export const metadataSets: readonly MetadataSet[] = [fixtures, realSamples];

/** A suite's title over a set; when the set is not here, the title says the suite is skipped and why. */
export function overSet(title: string, set: MetadataSet): string {
  return set.present ? `${title}, over ${set.title}` : `${title}, over ${set.title}: SKIPPED, ${samplesDir} is not there (CI has it)`;
}

/**
 * Builds one sfdx tree per tree or repository of a set under `root`: `<root>/<repo>/<placed>`.
 * Returns each one's tree and, for each sample, the absolute path of its copy.
 */
export async function buildSampleTrees(root: string, set: MetadataSet = realSamples): Promise<{ trees: Map<string, string>; placed: Map<string, string> }> {
  const trees = new Map<string, string>();
  const placed = new Map<string, string>();
  for (const sample of await set.list()) {
    const tree = path.join(root, sample.repo);
    trees.set(sample.repo, tree);
    const copy = path.join(tree, sample.placed);
    await mkdir(path.dirname(copy), { recursive: true });
    await copyFile(sample.file, copy);
    placed.set(sample.sample, copy);
  }
  return { trees, placed };
}
