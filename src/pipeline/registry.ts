import { RuntimeDefinition } from '../catalog/types';
import { DEFAULT_INSTALLER_IMAGE } from '../constructs/installer-support';
import { DiagnosticCollector } from '../diagnostics';
import { ContainerRuntime, Origin, diagnosticAt } from '../model/container-runtime';
import { isObject } from '../sources/fields';
import { pinnedImageProblem } from '../validate/image';
import { DNS_SUBDOMAIN, dnsSubdomainProblem } from '../validate/names';

/**
 * The official Node.js image (Docker Hub library/node, 20 on Alpine) the acknowledger runs on.
 * The digest is the one public Dockerfiles and a BuildKit log resolve `node:20-alpine` to (found
 * with the search tools in public repositories); override it with spec.registry.acknowledgerImage.
 */
export const DEFAULT_ACKNOWLEDGER_IMAGE = 'docker.io/library/node:20-alpine@sha256:fb4cd12c85ee03686f6af5362a0b0d56d50c58a04632e6c0fb8363f609372293';

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
  /** The Node.js image the acknowledger runs on in the seeds, pinned by digest. @default DEFAULT_ACKNOWLEDGER_IMAGE */
  readonly acknowledgerImage?: string;
  /** Where `spec.registry` is written, for messages. @default - not from a pipeline file */
  readonly source?: { readonly origin: Origin; readonly subject: string };
}

/** The pipeline file's `spec.registry` (its shape checked by the pipeline schema). */
export function registryOptions(raw: unknown, source?: RegistryOptions['source']): RegistryOptions | undefined {
  if (!isObject(raw)) return undefined;
  const { mirror, pullSecret, requireDigests, installerImage, acknowledgerImage } = raw;
  return {
    ...(typeof mirror === 'string' ? { mirror } : {}),
    ...(typeof pullSecret === 'string' ? { pullSecret } : {}),
    ...(requireDigests === true ? { requireDigests } : {}),
    ...(typeof installerImage === 'string' ? { installerImage } : {}),
    ...(typeof acknowledgerImage === 'string' ? { acknowledgerImage } : {}),
    ...(source ? { source } : {}),
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

/**
 * Applies `spec.registry` to the images of a run: every image from the mirror, and, with
 * requireDigests, a problem for each image pinned by tag only.
 */
export class ImagePolicy {
  /** The installers' image (mirrored) and pull secret. */
  public readonly installer: { readonly image: string; readonly pullSecret?: string };
  /** The acknowledger's image (mirrored; the schema requires a digest). */
  public readonly acknowledgerImage: string;
  /** Per catalog entry: the entry with its image mirrored, and what is wrong with that image (checked once). */
  private readonly mirrored = new Map<RuntimeDefinition, { definition: RuntimeDefinition; invalid?: string }>();
  /** Definitions whose image was refused (reported once, not once per pool). */
  private readonly refused = new Set<RuntimeDefinition>();

  constructor(private readonly registry: RegistryOptions, private readonly problems: DiagnosticCollector) {
    const image = mirrorImage(registry.installerImage ?? DEFAULT_INSTALLER_IMAGE, registry.mirror);
    const report = (path: string, message: string) => this.report(path, message);
    // The installer image reaches every node of the fleet: a user's mistake in it is reported
    // here, against the pipeline file, never found later by the output check.
    const unpinned = pinnedImageProblem(image);
    if (unpinned) report(registry.installerImage !== undefined ? 'spec.registry.installerImage' : 'spec.registry.mirror', unpinned);
    else if (registry.requireDigests && !isDigestPinned(image)) {
      report('spec.registry.requireDigests', `the installer image "${image}" is not pinned by a digest: set spec.registry.installerImage to an image@sha256:... reference`);
    }
    if (registry.pullSecret !== undefined && !DNS_SUBDOMAIN.test(registry.pullSecret)) {
      report('spec.registry.pullSecret', `image pull secret ${dnsSubdomainProblem(registry.pullSecret)}`);
    }
    this.installer = { image, ...(registry.pullSecret ? { pullSecret: registry.pullSecret } : {}) };
    this.acknowledgerImage = mirrorImage(registry.acknowledgerImage ?? DEFAULT_ACKNOWLEDGER_IMAGE, registry.mirror);
  }

  /** A problem with `spec.registry`, at the pipeline file. */
  private report(path: string, message: string): void {
    this.problems.add({
      origin: this.registry.source?.origin ?? { file: 'spec.registry', line: 0 },
      subject: this.registry.source?.subject,
      path,
      message,
    });
  }

  /** The catalog entry with its image as this run pulls it; `undefined` (reported) when it breaks the policy. */
  public resolve(runtime: ContainerRuntime, found: RuntimeDefinition): RuntimeDefinition | undefined {
    if (!this.mirrored.has(found)) {
      const definition = { ...found, image: mirrorImage(found.image, this.registry.mirror) };
      this.mirrored.set(found, { definition, invalid: pinnedImageProblem(definition.image) });
    }
    const { definition, invalid } = this.mirrored.get(found)!;
    if (invalid) {
      if (this.refused.has(found)) return undefined;
      this.refused.add(found);
      // The catalog's and the pipeline file's images are valid references: a bad one here is the mirror's doing.
      if (definition.image !== found.image) this.report('spec.registry.mirror', `runtime type "${definition.type}": ${invalid}`);
      else this.problems.add(diagnosticAt(runtime, 'type', `runtime type "${definition.type}": ${invalid}`));
      return undefined;
    }
    if (this.registry.requireDigests && !isDigestPinned(definition.image)) {
      this.problems.add(diagnosticAt(runtime, 'type', `the image "${definition.image}" of runtime type "${definition.type}" is not pinned by a digest (spec.registry.requireDigests): pin it in spec.runtimes.${definition.type}.image`));
      return undefined;
    }
    return definition;
  }
}
