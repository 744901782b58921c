// Loaded with `node --import` by the benchmark when GNU time is not installed: at exit, writes
// this process's peak resident memory (KiB, process.resourceUsage().maxRSS) to $BENCH_RSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    writeFileSync(file, `${process.resourceUsage().maxRSS}\n`);
  });
}
