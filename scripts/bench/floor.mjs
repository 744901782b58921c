// The floor of the benchmark: read the files a command reads and parse them — YAML for the
// desired state, JSON for the store — with no other work. Every command's time is compared with it.
//
//   node scripts/bench/floor.mjs [--desired DIR] [--org-state DIR]
//
// --desired: every *.yaml / *.yml under DIR (found with fast-glob, as capctl finds them), each
// document parsed to plain data. --org-state: every org folder's org.json, users.json, apps/*.json
// and ledger.jsonl lines, each JSON.parse'd. Prints what it read as one JSON line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { parseAllDocuments } from 'yaml';

function parseArgs(argv) {
  const options = { desired: undefined, orgState: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--desired') options.desired = argv[++i];
    else if (argv[i] === '--org-state') options.orgState = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return options;
}

function readDesired(dir) {
  const files = fg.sync(['**/*.yaml', '**/*.yml'], { cwd: dir, onlyFiles: true }).sort();
  let documents = 0;
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
      doc.toJS();
      documents++;
    }
  }
  return { files: files.length, documents };
}

function readStore(dir) {
  let files = 0;
  let sessions = 0;
  const keep = []; // held until the end, as a snapshot would be
  for (const org of readdirSync(dir).sort()) {
    const orgDir = path.join(dir, org);
    keep.push(JSON.parse(readFileSync(path.join(orgDir, 'org.json'), 'utf8')));
    keep.push(JSON.parse(readFileSync(path.join(orgDir, 'users.json'), 'utf8')));
    files += 2;
    for (const name of readdirSync(path.join(orgDir, 'apps')).sort()) {
      const app = JSON.parse(readFileSync(path.join(orgDir, 'apps', name), 'utf8'));
      sessions += app.sessions.length;
      keep.push(app);
      files++;
    }
    const ledger = path.join(orgDir, 'ledger.jsonl');
    if (existsSync(ledger)) {
      for (const line of readFileSync(ledger, 'utf8').split('\n')) if (line) keep.push(JSON.parse(line));
      files++;
    }
  }
  return { files, sessions, values: keep.length };
}

const options = parseArgs(process.argv.slice(2));
const report = {};
if (options.desired) report.desired = readDesired(options.desired);
if (options.orgState) report.store = readStore(options.orgState);
process.stdout.write(`${JSON.stringify(report)}\n`);
