/**
 * The pipeline file's `spec.gitops` against the formats of the objects it fills: the user's
 * mistakes there are input errors at the pipeline file's lines, never left for the output check.
 */
import { GitopsConfig, fillPattern } from '../gitops/config';
import { ShootRef } from '../model/container-runtime';
import { dnsLabelProblem, dnsSubdomainProblem, shownValue } from './names';

export interface GitopsProblem {
  /** The field of the pipeline file, e.g. `spec.gitops.flux.namespace`. */
  readonly path: string;
  readonly message: string;
}

/** Go-template delimiters, which the ApplicationSet controller would evaluate in its template. */
const TEMPLATE_TEXT = /\{\{|\}\}/;

/** Problems of the fields that do not depend on the shoot. */
export function gitopsConfigProblems(config: GitopsConfig): GitopsProblem[] {
  const out: GitopsProblem[] = [];
  const check = (path: string, problem: string | undefined) => { if (problem) out.push({ path, message: problem }); };
  const { flux, argocd } = config;
  if (flux) {
    check('spec.gitops.flux.sourceRef.name', dnsSubdomainProblem(flux.sourceRef.name));
    if (flux.sourceRef.namespace !== undefined) check('spec.gitops.flux.sourceRef.namespace', dnsLabelProblem(flux.sourceRef.namespace));
    if (flux.artifactGenerators === 'namespace' && flux.namespace.includes('{shoot}')) {
      out.push({ path: 'spec.gitops.flux.namespace', message: 'must not depend on {shoot} with artifactGenerators: namespace (one generator serves every shoot of a project namespace)' });
    }
  }
  if (argocd) {
    check('spec.gitops.argocd.namespace', dnsLabelProblem(argocd.namespace));
    check('spec.gitops.argocd.project', dnsSubdomainProblem(argocd.project));
    if (argocd.applicationSet) {
      for (const key of ['repoURL', 'targetRevision'] as const) {
        if (TEMPLATE_TEXT.test(argocd[key])) {
          out.push({ path: `spec.gitops.argocd.${key}`, message: `${shownValue(argocd[key])} holds Go-template text ({{ or }}), which the ApplicationSet controller would evaluate` });
        }
      }
    }
  }
  return out;
}

/** Problems of the names filled from placeholders for one shoot (a namespace too long once filled, `..`). */
export function gitopsShootProblems(config: GitopsConfig, shoot: ShootRef): GitopsProblem[] {
  const out: GitopsProblem[] = [];
  const check = (path: string, pattern: string, rule: (v: unknown) => string | undefined) => {
    const value = fillPattern(pattern, shoot);
    const problem = rule(value);
    if (problem) out.push({ path, message: `for shoot ${shoot.projectNamespace}/${shoot.name}: ${problem}` });
  };
  if (config.flux) {
    check('spec.gitops.flux.namespace', config.flux.namespace, dnsLabelProblem);
    if (config.flux.mode === 'remote') check('spec.gitops.flux.kubeConfigSecret', config.flux.kubeConfigSecret, dnsSubdomainProblem);
  }
  return out;
}
