// The real Salesforce metadata samples of ../shared/samples/salesforce-metadata/, read in place
// (never copied into the repository). Their names are `<owner>__<repo>__<file>`; a test that needs
// an sfdx tree builds one per repository in a temporary folder, placing each file by its suffix.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { sharedRoot } from './cli.js';

/** The folder of the samples. */
export const samplesDir = path.join(sharedRoot, 'samples/salesforce-metadata');

/** One sample: its file name in the samples folder, the repository it came from, its own name. */
export interface Sample {
  sample: string;
  repo: string;
  name: string;
}

/** Every sample, sorted by file name. */
export async function listSamples(): Promise<Sample[]> {
  const names = (await readdir(samplesDir)).sort();
  return names.map((sample) => {
    const parts = sample.split('__');
    return { sample, repo: parts.slice(0, 2).join('__'), name: parts.slice(2).join('__') };
  });
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

/**
 * Builds one sfdx tree per repository of the samples under `root`:
 * `<root>/<owner__repo>/force-app/main/default/<folder>/<name>`. Returns each repository's tree
 * and, for each sample, the path of its copy relative to `root`.
 */
export async function buildSampleTrees(root: string): Promise<{ trees: Map<string, string>; placed: Map<string, string> }> {
  const trees = new Map<string, string>();
  const placed = new Map<string, string>();
  for (const sample of await listSamples()) {
    const tree = path.join(root, sample.repo);
    trees.set(sample.repo, tree);
    const relative = path.join('force-app/main/default', folderOf(sample.name), sample.name);
    await mkdir(path.dirname(path.join(tree, relative)), { recursive: true });
    await copyFile(path.join(samplesDir, sample.sample), path.join(tree, relative));
    placed.set(sample.sample, path.join(tree, relative));
  }
  return { trees, placed };
}
