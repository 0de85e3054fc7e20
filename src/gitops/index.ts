import { ShootRef } from '../model/container-runtime';
import { GeneratedFile } from '../output/render';
import { artifactGenerator, artifactNamespace, generatorName } from './artifact-generator';
import { ArgoCdConfig, FluxConfig, GitopsConfig, fillPattern } from './config';

export { GitopsConfig, gitopsConfig } from './config';
export { outputPathInRepository } from './repository-path';

/** What the GitOps objects need to know of one rendered shoot. */
export interface RenderedShoot {
  readonly shoot: ShootRef;
  /** The shoot's directory relative to the output root, e.g. `shoots/garden-dev/alpha`. */
  readonly directory: string;
  /** Names of the shoot's installer DaemonSets (all in `namespace`). */
  readonly installers: readonly string[];
  readonly namespace: string;
  /** The installer version's directory the shoot's kustomization references. @default - none */
  readonly installer?: string;
}

/**
 * The Flux and Argo CD objects for every shoot: `flux/<ns>/<shoot>.yaml`, `argocd/...`. With
 * `select` (a shard named `shard`), only the selected shoots' objects; the fleet-wide
 * ApplicationSet then goes with the shard that selects the fleet's first shoot, and a project
 * namespace's ArtifactGenerator with the shard that selects the namespace's first shoot.
 */
export function generateGitops(
  allShoots: readonly RenderedShoot[], config: GitopsConfig, outputPath: string,
  select: (shoot: ShootRef) => boolean = () => true, shard?: string,
): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const shoots = allShoots.filter((s) => select(s.shoot));
  const repoPath = (s: RenderedShoot) => (outputPath === '.' ? s.directory : `${outputPath}/${s.directory}`);
  const flux = config.flux;
  if (flux) {
    for (const s of shoots) {
      files.push({ path: `flux/${s.shoot.projectNamespace}/${s.shoot.name}.yaml`, object: fluxKustomization(s, flux, repoPath(s)) });
    }
    if (flux.artifactGenerators) {
      for (const group of generatorGroups(allShoots, flux, select, shard)) {
        files.push({ path: `flux/${GENERATORS_DIR}/${group.namespace}/${group.name}.yaml`, object: artifactGenerator(group, flux, outputPath, (s) => objectName(s)) });
      }
    }
  }
  if (config.argocd) {
    if (config.argocd.applicationSet) {
      if (allShoots.length > 0 && select(allShoots[0].shoot)) files.push({ path: 'argocd/applicationset.yaml', object: argoApplicationSet(allShoots, config.argocd, repoPath) });
    } else {
      for (const s of shoots) {
        files.push({ path: `argocd/${s.shoot.projectNamespace}/${s.shoot.name}.yaml`, object: argoApplication(s, config.argocd, repoPath(s)) });
      }
    }
  }
  return files;
}

const LABELS = { 'app.kubernetes.io/managed-by': 'shoot-runtimes' };

/** Under flux/: no project namespace can be named so (`_` is not allowed in namespace names). */
const GENERATORS_DIR = '_artifactgenerators';

/** The generators this run writes: its shard's, or those of the namespaces whose first shoot it selects. */
function generatorGroups(allShoots: readonly RenderedShoot[], flux: FluxConfig, select: (shoot: ShootRef) => boolean, shard?: string) {
  const groups = new Map<string, { name: string; namespace: string; shoots: RenderedShoot[] }>();
  for (const s of allShoots) {
    if (flux.artifactGenerators === 'shard' && !select(s.shoot)) continue;
    const name = generatorName(flux, s.shoot, shard);
    const namespace = artifactNamespace(s.shoot, flux);
    const key = `${namespace}/${name}`;
    if (!groups.has(key)) groups.set(key, { name, namespace, shoots: [] });
    groups.get(key)!.shoots.push(s);
  }
  return [...groups.values()].filter((g) => g.shoots.length > 0 && select(g.shoots[0].shoot));
}

/** `shoot-runtimes-<project>--<shoot>`: unique across the fleet, whichever namespace holds it. */
function objectName(shoot: ShootRef): string {
  return `shoot-runtimes-${fillPattern('{project}--{shoot}', shoot)}`;
}

/** A Flux Kustomization that applies one shoot's directory, prunes what left it, and waits for its installers. */
export function fluxKustomization(s: RenderedShoot, flux: FluxConfig, repoPath: string): GeneratedFile['object'] {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: objectName(s.shoot), namespace: fillPattern(flux.namespace, s.shoot), labels: LABELS },
    spec: {
      interval: flux.interval,
      // In an ExternalArtifact the output's paths are kept, relative to the output root.
      path: `./${flux.artifactGenerators ? s.directory : repoPath}`,
      prune: true,
      sourceRef: flux.artifactGenerators
        ? { kind: 'ExternalArtifact', name: objectName(s.shoot), namespace: artifactNamespace(s.shoot, flux) }
        : flux.sourceRef,
      timeout: flux.timeout,
      ...(s.installers.length > 0 ? {
        healthChecks: s.installers.map((name) => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', name, namespace: s.namespace })),
      } : {}),
      ...(flux.mode === 'remote' ? { kubeConfig: { secretRef: { name: fillPattern(flux.kubeConfigSecret, s.shoot) } } } : {}),
    },
  };
}

const SYNC_POLICY = {
  automated: { prune: true, selfHeal: true },
  syncOptions: ['ServerSideApply=true'],
};

/** An Argo CD Application that syncs one shoot's directory into the shoot's cluster. */
export function argoApplication(s: RenderedShoot, argocd: ArgoCdConfig, repoPath: string): GeneratedFile['object'] {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: objectName(s.shoot), namespace: argocd.namespace, labels: LABELS },
    spec: {
      project: argocd.project,
      source: { repoURL: argocd.repoURL, targetRevision: argocd.targetRevision, path: repoPath },
      destination: { name: fillPattern(argocd.destinationName, s.shoot), namespace: s.namespace },
      syncPolicy: SYNC_POLICY,
    },
  };
}

/** One ApplicationSet for the fleet: a list generator with an element per shoot. */
export function argoApplicationSet(shoots: readonly RenderedShoot[], argocd: ArgoCdConfig, repoPath: (s: RenderedShoot) => string): GeneratedFile['object'] {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: 'shoot-runtimes', namespace: argocd.namespace, labels: LABELS },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{
        list: {
          elements: shoots.map((s) => ({ name: objectName(s.shoot), cluster: fillPattern(argocd.destinationName, s.shoot), path: repoPath(s) })),
        },
      }],
      template: {
        metadata: { name: '{{.name}}', labels: LABELS },
        spec: {
          project: argocd.project,
          source: { repoURL: argocd.repoURL, targetRevision: argocd.targetRevision, path: '{{.path}}' },
          destination: { name: '{{.cluster}}', namespace: 'kube-system' },
          syncPolicy: SYNC_POLICY,
        },
      },
    },
  };
}
