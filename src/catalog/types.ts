import { Architecture } from '../model/container-runtime';

/** A value of a containerd runtime option (a TOML string, integer or boolean). */
export type RuntimeOptionValue = string | number | boolean;

/** Pod overhead a RuntimeClass declares (a sandbox's own cost, added to every pod's requests). */
export interface Overhead {
  /** CPU quantity, e.g. `250m`. */
  readonly cpu?: string;
  /** Memory quantity, e.g. `160Mi`. */
  readonly memory?: string;
}

/** One RuntimeClass a runtime offers, and the containerd handler behind it. */
export interface RuntimeClassDefinition {
  /** The shoot-wide class name; per pool the class is `<name>-<pool>`. */
  readonly name: string;
  /** The containerd CRI handler name (the runtimes table key). */
  readonly handler: string;
  /** containerd's `runtime_type`, e.g. `io.containerd.runsc.v1`. */
  readonly runtimeType: string;
  /**
   * The handler's `options` table. In string values `${binaryPath}` stands for the
   * ContainerRuntime's binaryPath.
   * @default - no options table
   */
  readonly options?: Readonly<Record<string, RuntimeOptionValue>>;
  /** @default - no overhead */
  readonly overhead?: Overhead;
  /**
   * The containerd snapshotter the handler needs (the handler table's `snapshotter` key), e.g.
   * `devmapper` for Kata with Firecracker. The snapshotter itself must be configured on the node.
   * @default - containerd's default snapshotter
   */
  readonly snapshotter?: string;
}

/** Formats of a runtime's own configuration file that the generator knows how to render. */
export enum RuntimeConfigFormat {
  /** gVisor's runsc.toml: `[runsc_config]` flags from providerConfig `configFlags`. */
  RUNSC_FLAGS = 'runsc-flags',
}

/** A configuration file the runtime reads on the node, rendered from the pool's providerConfig. */
export interface RuntimeConfigFile {
  /** Absolute host path, e.g. `/etc/containerd/runsc.toml`. */
  readonly path: string;
  readonly format: RuntimeConfigFormat;
}

/** A catalog entry: everything needed to install one runtime type. Plain data. */
export interface RuntimeDefinition {
  /** The canonical type, e.g. `gvisor`. */
  readonly type: string;
  /** @default - no other names */
  readonly aliases?: readonly string[];
  readonly description: string;
  /** The image holding the runtime's files, pinned to a tag or digest. Needs `cp`. */
  readonly image: string;
  /** Absolute paths of the files inside the image; each is installed under binaryPath by its base name. */
  readonly files: readonly string[];
  readonly classes: readonly RuntimeClassDefinition[];
  readonly architectures: readonly Architecture[];
  /** @default - the runtime reads no configuration file of ours */
  readonly config?: RuntimeConfigFile;
}
