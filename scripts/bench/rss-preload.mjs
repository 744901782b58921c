// Loaded with `node --import` by the benchmark when GNU time is not installed: at exit, writes
// this process's peak resident memory (KiB, process.resourceUsage().maxRSS) and its user and system
// CPU seconds to $BENCH_RSS_FILE, as GNU time's `%M %U %S` would.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`);
  });
}
