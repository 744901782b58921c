// What every test file on a connected org shares: its temporary folders and its fake orgs (started
// in the test's process), removed and closed after each test, and the shape of its set-up.
import { afterEach } from 'vitest';
import { startFakeOrg, type FakeOrg, type FakeOrgOptions } from '../../src/fake-org/server.js';
import { makeTempDir, removeDir, type CliResult } from './cli.js';

/** A repository connected to a fake org, and how to run capctl in it. */
export interface LiveSetup {
  root: string;
  env: Record<string, string | undefined>;
  fake: FakeOrg;
  run(args: string[], extraEnv?: Record<string, string | undefined>): Promise<CliResult>;
}

/** Registers the clean-up after each test of the file; what it makes is cleaned up there. */
export function liveFixtures(): {
  tempDir(prefix: string): Promise<string>;
  startFake(options: FakeOrgOptions): Promise<FakeOrg>;
  closeFakes(): Promise<void>;
} {
  const dirs: string[] = [];
  const fakes: FakeOrg[] = [];
  const closeFakes = async (): Promise<void> => {
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  };
  afterEach(async () => {
    await closeFakes();
    await Promise.all(dirs.splice(0).map(removeDir));
  });
  return {
    async tempDir(prefix) {
      const dir = await makeTempDir(prefix);
      dirs.push(dir);
      return dir;
    },
    async startFake(options) {
      const fake = await startFakeOrg(options);
      fakes.push(fake);
      return fake;
    },
    closeFakes,
  };
}
