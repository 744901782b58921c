// The fake org of `npm run bench -- --live`, in a child process of its own: the bench measures
// capctl, and the fake stands in for Salesforce's servers, so its work (seeding, SOQL over a
// million tokens, JSON serialising) must not share the event loop or the core of the bench's
// parent, which times the capctl processes. Started by live.mjs with `fork`; speaks over IPC:
//
//   child → parent  { type: 'ready', url, accessToken }   listening
//   parent → child  { type: 'requests', from, id }        → { type: 'requests', id, requests }: fake.requests.slice(from)
//   parent → child  { type: 'close' }                     closes the server and exits
//
//   node scripts/bench/fake-process.mjs ORG_STATE_DIR SLUG LATENCY_MS CONNECTED_USER
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const [orgState, slug, latency, connectedUser] = process.argv.slice(2);
const { FileOrgStore } = await import(path.join(repoRoot, 'dist/store/file-store.js'));
const { startFakeOrg } = await import(path.join(repoRoot, 'dist/fake-org/server.js'));
const snapshot = await new FileOrgStore(orgState).readSnapshot(slug);
// The org's daily API allowance as Salesforce sizes it for Enterprise Edition: 100,000 plus 1,000 per
// user licence (every user here counted as one). The fake's default (100,000, a small org's) would
// refuse the bench's ~100,000-call apply at full scale before it starts.
const fake = await startFakeOrg({ snapshot, latencyMs: Number(latency), connectedUser, dailyLimit: 100_000 + 1_000 * snapshot.users.length });
process.on('message', (message) => {
  if (message.type === 'requests') process.send({ type: 'requests', id: message.id, requests: fake.requests.slice(message.from) });
  else if (message.type === 'close') void fake.close().then(() => process.exit(0));
});
// The bench gone (killed, crashed): nothing is left listening.
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', url: fake.url, accessToken: fake.accessToken });
