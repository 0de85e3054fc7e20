import { ArtifactGenerator, ArtifactGeneratorSpecSourcesKind } from '../../imports/source.extensions.fluxcd.io';
import { InputError } from '../diagnostics';
import { ShootRef } from '../model/container-runtime';
import { GeneratedFile } from '../output/render';
import { FluxConfig, fillPattern } from './config';

/** source-watcher's limit (the CRD's `spec.artifacts.maxItems`). */
export const MAX_ARTIFACTS = 1000;

/** The source's alias inside every generator. */
const ALIAS = 'output';

/** What a generator needs of one shoot. */
export interface ArtifactShoot {
  readonly shoot: ShootRef;
  /** The shoot's directory relative to the output root. */
  readonly directory: string;
  /** The installer version's directory it references, relative to the output root. @default - none */
  readonly installer?: string;
}

/** One ArtifactGenerator: its name and namespace, and the shoots it gives an artifact each. */
export interface GeneratorGroup {
  readonly name: string;
  readonly namespace: string;
  readonly shoots: readonly ArtifactShoot[];
}

/**
 * Where a shoot's ExternalArtifact lives: in the project namespace's generator (the namespace of
 * the shoot's Kustomization) or in the shard's generator (the source's namespace).
 */
export function artifactNamespace(shoot: ShootRef, flux: FluxConfig): string {
  return flux.artifactGenerators === 'namespace' ? fillPattern(flux.namespace, shoot) : flux.sourceRef.namespace ?? 'flux-system';
}

/** The generator of a project namespace, or of a shard (`shard-2-of-4`; none: an unsharded run). */
export function generatorName(flux: FluxConfig, shoot: ShootRef, shard?: string): string {
  if (flux.artifactGenerators === 'namespace') return `shoot-runtimes-${fillPattern('{project}', shoot)}`;
  return shard ? `shoot-runtimes-${shard}` : 'shoot-runtimes';
}

/**
 * The ArtifactGenerator of a group: per shoot an ExternalArtifact (named like the shoot's
 * Kustomization) holding the shoot's directory and the installer version it references, at the
 * same paths as in the output tree, so the kustomization's relative reference resolves. Its
 * revision is a digest of exactly those files: it moves only when they change.
 */
export function artifactGenerator(group: GeneratorGroup, flux: FluxConfig, outputPath: string, artifactName: (s: ShootRef) => string): GeneratedFile['object'] {
  if (group.shoots.length > MAX_ARTIFACTS) {
    throw new InputError([{
      origin: { file: 'spec.gitops.flux.artifactGenerators', line: 0 },
      subject: `ArtifactGenerator ${group.namespace}/${group.name}`,
      message: `would hold ${group.shoots.length} artifacts, and source-watcher takes at most ${MAX_ARTIFACTS}: `
        + (flux.artifactGenerators === 'shard' ? `render in at least ${Math.ceil(group.shoots.length / MAX_ARTIFACTS)} times as many shards` : 'use artifactGenerators: shard with enough shards'),
    }]);
  }
  const inRepo = (dir: string) => (outputPath === '.' ? dir : `${outputPath}/${dir}`);
  const copyDir = (dir: string) => ({ from: `@${ALIAS}/${inRepo(dir)}/**`, to: `@artifact/${dir}/` });
  // The pipeline schema allows the same source kinds as the CRD.
  const kind = flux.sourceRef.kind as ArtifactGeneratorSpecSourcesKind;
  return ArtifactGenerator.manifest({
    metadata: { name: group.name, namespace: group.namespace, labels: { 'app.kubernetes.io/managed-by': 'shoot-runtimes' } },
    spec: {
      sources: [{ alias: ALIAS, kind, name: flux.sourceRef.name, namespace: flux.sourceRef.namespace }],
      artifacts: group.shoots.map((s) => ({
        name: artifactName(s.shoot),
        copy: [copyDir(s.directory), ...(s.installer ? [copyDir(s.installer)] : [])],
      })),
    },
  });
}
