/**
 * Image references by the grammar container registries and runtimes use (the distribution
 * project's reference grammar): `[host[:port]/]path[:tag][@algorithm:hex]`.
 */

/** A parsed image reference. */
export interface ImageReference {
  /** Registry host with optional port; `undefined` when the reference names none (Docker Hub). */
  readonly host?: string;
  /** The repository path, e.g. `library/busybox`. */
  readonly path: string;
  readonly tag?: string;
  /** `sha256:<64 hex>` or `sha512:<128 hex>`. */
  readonly digest?: string;
}

/** One path component: lowercase alphanumerics, joined by `.`, `_`, `__` or runs of `-`. */
const PATH_COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const HOST_COMPONENT = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGESTS: Readonly<Record<string, RegExp>> = { sha256: /^[0-9a-f]{64}$/, sha512: /^[0-9a-f]{128}$/ };
/** The repository name (host and path) is limited to 255 characters. */
const MAX_NAME = 255;

/** `image` parsed, or why it is not a valid image reference. */
export function parseImageReference(image: string): ImageReference | { readonly problem: string } {
  const problem = (why: string) => ({ problem: why });
  if (image === '') return problem('is empty');
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const colon = digest.indexOf(':');
    const algorithm = digest.slice(0, colon);
    if (colon < 0 || !DIGESTS[algorithm]?.test(digest.slice(colon + 1))) {
      return problem('has a malformed digest: want @sha256: and 64 lowercase hex digits (or @sha512: and 128)');
    }
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return problem('has a malformed tag: want at most 128 letters, digits, _ . and -, not starting with . or -');
  }
  if (rest.length > MAX_NAME) return problem(`has a repository name longer than ${MAX_NAME} characters`);
  const segments = rest.split('/');
  let host: string | undefined;
  const first = segments[0];
  if (segments.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    host = segments.shift();
    if (!isHost(host!)) return problem(`has a malformed registry host ${JSON.stringify(host)}`);
  }
  if (segments.some((s) => !PATH_COMPONENT.test(s))) {
    return problem('has a malformed repository path: want lowercase letters and digits, separated by / . _ or -');
  }
  return { ...(host ? { host } : {}), path: segments.join('/'), ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

function isHost(hostPort: string): boolean {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:]+)(:[0-9]+)?$/.exec(hostPort);
  if (!m) return false;
  const host = m[1];
  return host.startsWith('[') || host.split('.').every((c) => HOST_COMPONENT.test(c));
}

/** Why `image` is not a valid reference pinned to a tag (not `latest`) or a digest; `undefined` when it is. */
export function pinnedImageProblem(image: unknown): string | undefined {
  if (typeof image !== 'string') return 'must be an image reference';
  const parsed = parseImageReference(image);
  const shown = JSON.stringify(image.length > 120 ? `${image.slice(0, 120)}...` : image);
  if ('problem' in parsed) return `image ${shown} is not a valid image reference: it ${parsed.problem}`;
  if (parsed.digest === undefined && (parsed.tag === undefined || parsed.tag === 'latest')) {
    return `image ${shown} must be pinned to a tag or a digest (not latest)`;
  }
  return undefined;
}
