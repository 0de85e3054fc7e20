/**
 * The app `cdk8s synth` runs (cdk8s.yaml): the same pipeline as `shoot-runtimes synth` on the
 * embedded example, into the directory cdk8s names (it empties that directory first).
 */
import * as path from 'path';
import { main } from './cli';

const root = path.resolve(__dirname, '..', '..');
const out = process.env.CDK8S_OUTDIR ?? path.join(root, 'dist');
main(['synth', '--config', path.join(root, 'examples', 'pipeline.yaml'), '--out', out])
  .then((code) => { process.exitCode = code; });
