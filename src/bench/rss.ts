/** Preloaded into a measured process (`node -r`): writes its peak RSS (KiB) to $BENCH_RSS_FILE at exit. */
import * as fs from 'fs';

process.on('exit', () => {
  if (process.env.BENCH_RSS_FILE) fs.writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
