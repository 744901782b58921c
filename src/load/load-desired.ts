// Desired-state YAML → validated model. (Placeholder until issue 2's loader lands.)
import type { Diagnostic, DesiredState } from '../model/index.js';

/** The desired state of a folder and every problem found in it. */
export interface LoadResult {
  desired: DesiredState;
  diagnostics: Diagnostic[];
}

/** Reads every *.yaml / *.yml under `dir`, validates each document and checks across files. */
export async function loadDesiredState(dir: string, _options: { now: Date }): Promise<LoadResult> {
  return { desired: { root: dir, orgs: {}, digest: '', files: [] }, diagnostics: [] };
}
