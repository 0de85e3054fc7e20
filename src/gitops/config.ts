import { Origin } from '../model/container-runtime';
import { isObject } from '../sources/fields';

/** Flux: a Kustomization per shoot, applied remotely from a management cluster or inside the shoot. */
export interface FluxConfig {
  /** The Flux source holding the rendered output (kind, name, namespace). */
  readonly sourceRef: { readonly kind: string; readonly name: string; readonly namespace?: string };
  /** `remote` (default): Flux runs in a management cluster and applies with a per-shoot kubeconfig. */
  readonly mode: 'remote' | 'in-cluster';
  /** Remote mode: the kubeconfig secret's name. Placeholders {shoot}, {project}, {namespace}. */
  readonly kubeConfigSecret: string;
  /** Namespace of the Kustomization (and, remote, of the secret). Placeholders as above. */
  readonly namespace: string;
  readonly interval: string;
  readonly timeout: string;
  /**
   * Flux 2.7+: ArtifactGenerators give each shoot an ExternalArtifact with only its directory and
   * its installer version, one generator per project `namespace` or per `shard`.
   * @default - none: Kustomizations read `sourceRef` directly
   */
  readonly artifactGenerators?: 'namespace' | 'shard';
}

/** Argo CD: an Application per shoot, or one ApplicationSet for the fleet. */
export interface ArgoCdConfig {
  readonly repoURL: string;
  readonly targetRevision: string;
  /** Namespace of Argo CD's Applications. */
  readonly namespace: string;
  /** The Argo CD project. */
  readonly project: string;
  /** The shoot's cluster name in Argo CD. Placeholders {shoot}, {project}, {namespace}. */
  readonly destinationName: string;
  /** One ApplicationSet (list generator) instead of an Application per shoot. */
  readonly applicationSet: boolean;
}

export interface GitopsConfig {
  /** Where the output directory lies inside the Git repository, if set by the user. */
  readonly pathPrefix?: string;
  /** Where `spec.gitops` is written, for messages. @default - not from a pipeline file */
  readonly source?: { readonly origin: Origin; readonly subject: string };
  readonly flux?: FluxConfig;
  readonly argocd?: ArgoCdConfig;
}

const PLACEHOLDER = /\{(shoot|project|namespace)\}/g;

/**
 * The pipeline file's `spec.gitops` with its defaults applied. The document has passed the
 * pipeline schema (docs/pipeline.schema.json), which checks every field's shape.
 */
export function gitopsConfig(raw: unknown): GitopsConfig | undefined {
  if (!isObject(raw)) return undefined;
  const text = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);
  const f = isObject(raw.flux) ? raw.flux : undefined;
  const source = isObject(f?.sourceRef) ? f.sourceRef : {};
  const mode = f?.mode === 'in-cluster' ? 'in-cluster' : 'remote';
  const a = isObject(raw.argocd) ? raw.argocd : undefined;
  return {
    ...(typeof raw.pathPrefix === 'string' ? { pathPrefix: raw.pathPrefix } : {}),
    flux: f && {
      sourceRef: {
        kind: text(source.kind, 'GitRepository'),
        name: text(source.name, ''),
        ...(typeof source.namespace === 'string' ? { namespace: source.namespace } : {}),
      },
      mode,
      kubeConfigSecret: text(f.kubeConfigSecret, '{shoot}-kubeconfig'),
      namespace: text(f.namespace, mode === 'in-cluster' ? 'flux-system' : '{namespace}'),
      interval: text(f.interval, '10m'),
      timeout: text(f.timeout, '5m'),
      ...(f.artifactGenerators === 'namespace' || f.artifactGenerators === 'shard' ? { artifactGenerators: f.artifactGenerators } : {}),
    },
    argocd: a && {
      repoURL: text(a.repoURL, ''),
      targetRevision: text(a.targetRevision, ''),
      namespace: text(a.namespace, 'argocd'),
      project: text(a.project, 'default'),
      destinationName: text(a.destinationName, 'shoot--{project}--{shoot}'),
      applicationSet: a.applicationSet === true,
    },
  };
}

/** Fills {shoot}, {project} and {namespace} for one shoot. */
export function fillPattern(pattern: string, shoot: { projectNamespace: string; name: string }): string {
  const project = shoot.projectNamespace === 'garden' ? 'garden' : shoot.projectNamespace.replace(/^garden-/, '');
  return pattern.replace(PLACEHOLDER, (_, key: string) => (key === 'shoot' ? shoot.name : key === 'project' ? project : shoot.projectNamespace));
}
