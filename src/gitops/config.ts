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
  readonly flux?: FluxConfig;
  readonly argocd?: ArgoCdConfig;
}

const DURATION = /^([0-9]+(ms|s|m|h))+$/;
const PLACEHOLDER = /\{(shoot|project|namespace)\}/g;

/** Parses the pipeline file's `spec.gitops`; problems go to `report` with the field path. */
export function parseGitopsConfig(raw: unknown, report: (path: string, message: string) => void): GitopsConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) return report('spec.gitops', 'must be a map'), undefined;
  const str = (value: unknown, at: string, fallback?: string): string => {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || value === '') report(at, 'must be a non-empty string');
    return String(value ?? '');
  };
  const pattern = (value: unknown, at: string, fallback: string): string => {
    const text = str(value, at, fallback);
    if (!/^[a-z0-9{}.-]+$/.test(text.replace(PLACEHOLDER, 'x'))) report(at, 'must be a name with placeholders {shoot}, {project}, {namespace}');
    return text;
  };
  const duration = (value: unknown, at: string, fallback: string): string => {
    const text = str(value, at, fallback);
    if (!DURATION.test(text)) report(at, 'must be a duration such as 10m or 1h30m');
    return text;
  };
  let flux: FluxConfig | undefined;
  if (raw.flux !== undefined) {
    const f = isObject(raw.flux) ? raw.flux : (report('spec.gitops.flux', 'must be a map'), {});
    const source = isObject(f.sourceRef) ? f.sourceRef : (report('spec.gitops.flux.sourceRef', 'is required: the Flux source (kind, name) holding the output'), {});
    const mode = f.mode ?? 'remote';
    if (mode !== 'remote' && mode !== 'in-cluster') report('spec.gitops.flux.mode', 'must be remote or in-cluster');
    flux = {
      sourceRef: {
        kind: str(source.kind, 'spec.gitops.flux.sourceRef.kind', 'GitRepository'),
        name: str(source.name, 'spec.gitops.flux.sourceRef.name'),
        ...(source.namespace !== undefined ? { namespace: str(source.namespace, 'spec.gitops.flux.sourceRef.namespace') } : {}),
      },
      mode: mode as FluxConfig['mode'],
      kubeConfigSecret: pattern(f.kubeConfigSecret, 'spec.gitops.flux.kubeConfigSecret', '{shoot}-kubeconfig'),
      namespace: pattern(f.namespace, 'spec.gitops.flux.namespace', mode === 'in-cluster' ? 'flux-system' : '{namespace}'),
      interval: duration(f.interval, 'spec.gitops.flux.interval', '10m'),
      timeout: duration(f.timeout, 'spec.gitops.flux.timeout', '5m'),
    };
  }
  let argocd: ArgoCdConfig | undefined;
  if (raw.argocd !== undefined) {
    const a = isObject(raw.argocd) ? raw.argocd : (report('spec.gitops.argocd', 'must be a map'), {});
    if (a.applicationSet !== undefined && typeof a.applicationSet !== 'boolean') report('spec.gitops.argocd.applicationSet', 'must be true or false');
    argocd = {
      repoURL: str(a.repoURL, 'spec.gitops.argocd.repoURL'),
      targetRevision: str(a.targetRevision, 'spec.gitops.argocd.targetRevision'),
      namespace: str(a.namespace, 'spec.gitops.argocd.namespace', 'argocd'),
      project: str(a.project, 'spec.gitops.argocd.project', 'default'),
      destinationName: pattern(a.destinationName, 'spec.gitops.argocd.destinationName', 'shoot--{project}--{shoot}'),
      applicationSet: a.applicationSet === true,
    };
  }
  const pathPrefix = raw.pathPrefix === undefined ? undefined : str(raw.pathPrefix, 'spec.gitops.pathPrefix');
  if (pathPrefix !== undefined && (pathPrefix.startsWith('/') || pathPrefix.split('/').includes('..'))) {
    report('spec.gitops.pathPrefix', 'must be a relative path inside the repository');
  }
  return { pathPrefix, flux, argocd };
}

/** Fills {shoot}, {project} and {namespace} for one shoot. */
export function fillPattern(pattern: string, shoot: { projectNamespace: string; name: string }): string {
  const project = shoot.projectNamespace === 'garden' ? 'garden' : shoot.projectNamespace.replace(/^garden-/, '');
  return pattern.replace(PLACEHOLDER, (_, key: string) => (key === 'shoot' ? shoot.name : key === 'project' ? project : shoot.projectNamespace));
}
