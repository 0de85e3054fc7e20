import { Progress } from '../src/cli/progress';

function capture(run: () => void): string {
  const write = process.stderr.write.bind(process.stderr);
  let out = '';
  (process.stderr as any).write = (chunk: string) => { out += chunk; return true; };
  try { run(); } finally { (process.stderr as any).write = write; }
  return out;
}

test('on a terminal, long runs show one redrawn progress line that is erased at the end', () => {
  const out = capture(() => {
    const p = new Progress('synth:', true);
    p.update(0, 1000);
    p.update(500, 1000); // within 100 ms of the last draw: skipped
    p.done();
  });
  expect(out).toBe('\rsynth: 0/1000 shoots (0%)\r\x1b[2K');
});

test('no progress when not on a terminal, or for short runs', () => {
  expect(capture(() => { const p = new Progress('synth:', false); p.update(1, 1000); p.done(); })).toBe('');
  expect(capture(() => { const p = new Progress('synth:', true); p.update(1, 10); p.done(); })).toBe('');
});
