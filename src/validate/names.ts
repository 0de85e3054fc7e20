/**
 * Kubernetes' formats for names, labels and taints, as the API server validates them
 * (k8s.io/apimachinery/pkg/util/validation). Each `...Problem` function returns why a value breaks
 * its format, or `undefined` when it is fine.
 */

/** A DNS-1123 label: lowercase letters, digits and '-', starting and ending alphanumeric, at most 63 characters. */
export const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 subdomain: DNS labels joined by '.', at most 253 characters. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The name part of a label key and a label value: alphanumeric ends, '-', '_' and '.' inside. */
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Longer values are cut in messages: a hostile 1 MB name must not become 1 MB of output. */
export function shownValue(value: unknown): string {
  const text = JSON.stringify(typeof value === 'string' && value.length > 80 ? `${value.slice(0, 80)}...` : value) ?? String(value);
  return text;
}

export function dnsLabelProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && DNS_LABEL.test(value)) return undefined;
  return `${shownValue(value)} must be a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)`;
}

export function dnsSubdomainProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && DNS_SUBDOMAIN.test(value)) return undefined;
  return `${shownValue(value)} must be a DNS subdomain (DNS labels joined by '.', at most 253 characters)`;
}

/** A label key, annotation key or taint key: `[prefix/]name`, the prefix a DNS subdomain. */
export function qualifiedNameProblem(value: unknown): string | undefined {
  const ok = (() => {
    if (typeof value !== 'string') return false;
    const slash = value.indexOf('/');
    const name = slash < 0 ? value : value.slice(slash + 1);
    if (slash >= 0 && !DNS_SUBDOMAIN.test(value.slice(0, slash))) return false;
    return name.length <= 63 && QUALIFIED_NAME.test(name);
  })();
  if (ok) return undefined;
  return `${shownValue(value)} must be a key such as app or example.com/tier (an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit)`;
}

/** A label value (and a taint or toleration value): empty, or at most 63 characters of the qualified-name format. */
export function labelValueProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && (value === '' || (value.length <= 63 && QUALIFIED_NAME.test(value)))) return undefined;
  return `${shownValue(value)} must be a label value (at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit)`;
}

/** Problems of a label map (node selectors, metadata labels), one per bad key or value. */
export function labelsProblems(labels: unknown): string[] {
  if (labels === undefined) return [];
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) return ['must be a map of label keys to values'];
  const out: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) out.push(`label key ${keyProblem}`);
    const valueProblem = labelValueProblem(value);
    if (valueProblem) out.push(`label ${shownValue(key)}: value ${valueProblem}`);
  }
  return out;
}

/** A container environment variable's name, as the API server accepts it. */
export const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
