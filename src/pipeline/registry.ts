import { isObject } from '../sources/fields';
import { DNS_LABEL } from '../validate/names';

/** `spec.registry`: where images come from in an air-gapped landscape. */
export interface RegistryOptions {
  /** Registry host (with optional port and path prefix) that replaces every image's registry. */
  readonly mirror?: string;
  /** Image pull secret in kube-system for every installer image. */
  readonly pullSecret?: string;
  /** Refuse images pinned by tag only. */
  readonly requireDigests?: boolean;
  /** The image the installer script runs in. @default DEFAULT_INSTALLER_IMAGE */
  readonly installerImage?: string;
}

const MIRROR = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9._-]+)*$/;

/** Parses `spec.registry`; problems go to `report` with the field path. */
export function parseRegistry(raw: unknown, report: (path: string, message: string) => void): RegistryOptions | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) return report('spec.registry', 'must be a map'), undefined;
  const { mirror, pullSecret, requireDigests, installerImage } = raw;
  if (mirror !== undefined && (typeof mirror !== 'string' || !MIRROR.test(mirror))) {
    report('spec.registry.mirror', 'must be a registry host with optional port and path, e.g. registry.internal:5000/mirror (no scheme)');
  }
  if (pullSecret !== undefined && (typeof pullSecret !== 'string' || !DNS_LABEL.test(pullSecret))) {
    report('spec.registry.pullSecret', 'must be the name of an image pull secret in kube-system');
  }
  if (requireDigests !== undefined && typeof requireDigests !== 'boolean') report('spec.registry.requireDigests', 'must be true or false');
  if (installerImage !== undefined && (typeof installerImage !== 'string' || installerImage === '')) {
    report('spec.registry.installerImage', 'must be an image reference');
  }
  return {
    ...(typeof mirror === 'string' ? { mirror } : {}),
    ...(typeof pullSecret === 'string' ? { pullSecret } : {}),
    ...(requireDigests === true ? { requireDigests } : {}),
    ...(typeof installerImage === 'string' ? { installerImage } : {}),
  };
}

/**
 * `image` served from `mirror`: its registry host is replaced, its repository path and tag or
 * digest are kept (`docker.io/library/busybox:1.36.1` -> `<mirror>/library/busybox:1.36.1`).
 * An image without a registry host is Docker Hub's.
 */
export function mirrorImage(image: string, mirror: string | undefined): string {
  if (!mirror) return image;
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const repository = hasHost ? image.slice(slash + 1) : (slash < 0 ? `library/${image}` : image);
  return `${mirror}/${repository}`;
}

/** Pinned by an immutable digest, not only a tag. */
export function isDigestPinned(image: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(image);
}
