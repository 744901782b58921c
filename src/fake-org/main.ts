// `npm run fake-org [-- ORG_STATE_DIR/ORG] [--port N]`: starts the fake org on 127.0.0.1, seeded
// from a store folder (default org-state/acme-prod, the bundled example), and prints what to
// export to reach it with connection env. Stops on Ctrl-C.
import path from 'node:path';
import { openStore } from '../store/open-store.js';
import { startFakeOrg } from './server.js';

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? Number(args[portAt + 1]) : 0;
const folder = path.resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--port') ?? 'org-state/acme-prod');
// The folder's files, whatever capctl.yaml says of the org: the fake is seeded from the store as written.
const store = openStore({ orgState: path.dirname(folder), offline: true });
const snapshot = await store.readSnapshot(path.basename(folder));
const fake = await startFakeOrg({ snapshot, port });
process.stdout.write(
  `Fake org ${snapshot.slug} (${snapshot.org.id}) listening on ${fake.url}, seeded from ${path.relative(process.cwd(), folder) || '.'}\n` +
    `Reach it with connection env:\n\n` +
    `  export SF_INSTANCE_URL=${fake.url}\n` +
    `  export SF_ACCESS_TOKEN=${fake.accessToken}\n\n` +
    `The token is the fake's own and works nowhere else. Ctrl-C stops it.\n`,
);
const stop = (): void => void fake.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
