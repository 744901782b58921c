// Where a command reads from: flags win over CAPCTL_ACTOR, which wins over capctl.yaml, which
// wins over the defaults (desired/, org-state/). capctl.yaml is looked for from the working
// folder up to the repository root (the folder holding .git).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Host } from './host.js';
import type { OrgSettings } from '../store/open-store.js';

/** The folders and defaults a command works with. */
export interface Settings {
  desired: string;
  orgState: string;
  org?: string;
  actor?: string;
  /** capctl.yaml's `orgs`: per org, how it is reached (store/open-store.ts). */
  orgs?: Record<string, OrgSettings>;
  /** The capctl.yaml that was read, if any. */
  configFile?: string;
}

/** The flags every command may take that settings come from. */
export interface SettingsFlags {
  desired?: string;
  orgState?: string;
  org?: string;
  actor?: string;
}

const defaultDesired = 'desired';
const defaultOrgState = 'org-state';

interface ConfigFile {
  desired?: string;
  orgState?: string;
  org?: string;
  actor?: string;
  orgs?: Record<string, OrgSettings>;
}

/** Finds capctl.yaml from `cwd` up to the repository root. */
export function findConfigFile(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, 'capctl.yaml');
    if (existsSync(candidate)) return candidate;
    if (existsSync(path.join(dir, '.git'))) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Reads capctl.yaml (validated by load/read-config.ts). Its folders are relative to the file, and so are the default
 * folders (desired/, org-state/) it leaves out: it marks where they are, wherever the command runs.
 */
export async function readConfigFile(file: string, cwd: string): Promise<ConfigFile> {
  // load/read-config.ts (yaml, ajv) is loaded only when there is a capctl.yaml, so that --version,
  // --help and unlock start without it.
  const { readConfigValue } = await import('../load/read-config.js');
  const value = readConfigValue(file);
  const config = value as ConfigFile;
  const base = path.dirname(file);
  const folder = (relative: string): string => path.relative(cwd, path.resolve(base, relative)) || '.';
  return { ...config, desired: folder(config.desired ?? defaultDesired), orgState: folder(config.orgState ?? defaultOrgState) };
}

/** Resolves the settings of one command run. */
export async function resolveSettings(flags: SettingsFlags, host: Host): Promise<Settings> {
  const configFile = findConfigFile(host.cwd);
  const config = configFile ? await readConfigFile(configFile, host.cwd) : {};
  // An empty CAPCTL_ACTOR (`CAPCTL_ACTOR=` in a CI file) is unset: capctl.yaml's actor still applies.
  const actor = flags.actor ?? (host.env.CAPCTL_ACTOR || undefined) ?? config.actor;
  const org = flags.org ?? config.org;
  return {
    desired: flags.desired ?? config.desired ?? defaultDesired,
    orgState: flags.orgState ?? config.orgState ?? defaultOrgState,
    ...(org === undefined ? {} : { org }),
    ...(actor === undefined || actor === '' ? {} : { actor }),
    ...(config.orgs === undefined ? {} : { orgs: config.orgs }),
    ...(configFile === undefined ? {} : { configFile }),
  };
}

export { chooseOrg } from '../store/select-org.js';
