import { ApiError, KubeClient, Watch, WatchEvent } from './client';
import { ContainerRuntimeObject, OPERATION_ANNOTATION, decide } from './decide';

/** ContainerRuntimes of every namespace (a seed has one per shoot). */
export const CONTAINER_RUNTIMES = '/apis/extensions.gardener.cloud/v1alpha1/containerruntimes';
/** The merge patch content type (RFC 7386). */
export const MERGE_PATCH = 'application/merge-patch+json';

export interface AcknowledgerOptions {
  readonly client: KubeClient;
  /** The runtime types to answer for; objects of other types are never touched. */
  readonly types: readonly string[];
  /** One line per decision. @default - stderr */
  readonly log?: (line: string) => void;
  /** The clock, in ms since the epoch. @default Date.now */
  readonly now?: () => number;
  /** First delay after a failure; doubles up to 30 s. @default 1000 */
  readonly retryDelayMs?: number;
  /** A watch request asks the server to end it after this many seconds (then it re-watches). @default 300 */
  readonly watchTimeoutSeconds?: number;
}

/** Counts of a pass over the objects (`once`). */
export interface PassResult {
  readonly acknowledged: number;
  readonly failed: number;
}

const MAX_DELAY_MS = 30_000;

/**
 * Answers gardenlet for ContainerRuntimes of its types: lists them, then watches from the list's
 * resourceVersion (with bookmarks), re-listing when the watch expires (410 Gone). Each object is
 * handled by one task at a time; a failed one is fetched again and retried with back-off.
 */
export class Acknowledger {
  private readonly types: ReadonlySet<string>;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly retryDelayMs: number;
  private stopped = false;
  private watch?: Watch;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakers = new Set<() => void>();
  private readonly busy = new Set<string>();
  private readonly pending = new Map<string, ContainerRuntimeObject>();
  private readonly retries = new Map<string, number>();
  /** resourceVersions our own patches produced, per object: their watch events are echoes, not news. */
  private readonly echoes = new Map<string, Set<string>>();

  constructor(private readonly options: AcknowledgerOptions) {
    this.types = new Set(options.types);
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.now = options.now ?? Date.now;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
  }

  /** Acknowledges what is pending now, once, and resolves with the counts. */
  public async once(): Promise<PassResult> {
    const list = await this.options.client.request('GET', CONTAINER_RUNTIMES);
    let acknowledged = 0;
    let failed = 0;
    for (const object of (list?.items ?? []) as ContainerRuntimeObject[]) {
      if (!this.ours(object)) continue;
      try {
        if (await this.handle(object)) acknowledged++;
      } catch (error) {
        failed++;
        this.log(`action=error namespace=${object.metadata.namespace} name=${object.metadata.name} error=${JSON.stringify((error as Error).message)}`);
      }
    }
    return { acknowledged, failed };
  }

  /** Lists and watches until stop(); resolves then. */
  public async run(): Promise<void> {
    let resourceVersion: string | undefined;
    let delay = this.retryDelayMs;
    while (!this.stopped) {
      try {
        if (resourceVersion === undefined) {
          const list = await this.options.client.request('GET', CONTAINER_RUNTIMES);
          resourceVersion = list.metadata.resourceVersion as string;
          this.log(`action=list objects=${list.items.length} resourceVersion=${resourceVersion}`);
          for (const object of list.items as ContainerRuntimeObject[]) this.enqueue(object);
        }
        resourceVersion = await this.watchFrom(resourceVersion);
        delay = this.retryDelayMs;
      } catch (error) {
        if (this.stopped) break;
        if (error instanceof ApiError && error.status === 410) {
          this.log('action=relist reason=watch-expired');
          resourceVersion = undefined;
          continue;
        }
        this.log(`action=retry-watch delayMs=${delay} error=${JSON.stringify((error as Error).message)}`);
        await this.sleep(delay);
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
    }
  }

  /** Ends run(): the watch is closed, pending retries are dropped. */
  public stop(): void {
    this.stopped = true;
    this.watch?.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of this.wakers) wake();
  }

  /** Watches from `resourceVersion`; resolves with the last resourceVersion seen when the server ends the stream. */
  private async watchFrom(resourceVersion: string): Promise<string> {
    let latest = resourceVersion;
    let gone: ApiError | undefined;
    const timeout = this.options.watchTimeoutSeconds ?? 300;
    const query = `?watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}&timeoutSeconds=${timeout}`;
    const watch = this.options.client.watch(CONTAINER_RUNTIMES + query, (event: WatchEvent) => {
      if (event.type === 'ERROR') {
        // A Status object: 410 when resourceVersion is too old for the server.
        gone = new ApiError(event.object?.code ?? 500, `watch: ${event.object?.message ?? 'error event'}`);
        watch.abort();
        return;
      }
      const rv = event.object?.metadata?.resourceVersion;
      if (typeof rv === 'string') latest = rv;
      if (event.type === 'ADDED' || event.type === 'MODIFIED') this.enqueue(event.object);
    }, (timeout + 60) * 1000);
    this.watch = watch;
    await watch.done;
    if (gone) throw gone;
    return latest;
  }

  private ours(object: ContainerRuntimeObject): boolean {
    return typeof object.spec?.type === 'string' && this.types.has(object.spec.type);
  }

  /** One task per object at a time; the newest version seen meanwhile is handled next. */
  private enqueue(object: ContainerRuntimeObject): void {
    if (this.stopped || !this.ours(object)) return;
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    const echoes = this.echoes.get(key);
    if (object.metadata.resourceVersion !== undefined && echoes?.delete(object.metadata.resourceVersion)) return;
    if (this.busy.has(key)) {
      this.pending.set(key, object);
      return;
    }
    this.busy.add(key);
    this.handle(object)
      .then(() => this.retries.delete(key), (error) => this.retryLater(object, error))
      .finally(() => {
        this.busy.delete(key);
        const next = this.pending.get(key);
        this.pending.delete(key);
        if (next) this.enqueue(next);
      });
  }

  private retryLater(object: ContainerRuntimeObject, error: unknown): void {
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    const delay = Math.min(this.retries.get(key) ?? this.retryDelayMs, MAX_DELAY_MS);
    this.retries.set(key, delay * 2);
    this.log(`action=retry namespace=${object.metadata.namespace} name=${object.metadata.name} delayMs=${delay} error=${JSON.stringify((error as Error).message)}`);
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.options.client.request('GET', objectPath(object)).then(
        (fresh) => this.enqueue(fresh),
        (e) => (e instanceof ApiError && e.status === 404 ? this.retries.delete(key) : this.retryLater(object, e)),
      );
    }, delay);
    this.timers.add(timer);
  }

  /**
   * Acts on one object; resolves true when it wrote. Status first (observedGeneration,
   * lastOperation, no lastError), then the operation annotation goes: gardenlet never sees the
   * annotation gone before the answer is there. Both patches carry the resourceVersion they were
   * decided on, so a change by gardenlet in between is a conflict, and the object is decided anew.
   */
  private async handle(object: ContainerRuntimeObject): Promise<boolean> {
    const decision = decide(object, this.now());
    const { namespace, name, resourceVersion } = object.metadata;
    const operation = object.metadata.annotations?.[OPERATION_ANNOTATION] ?? 'none';
    if (decision.action === 'skip') return false;
    const path = objectPath(object);
    if (decision.action === 'release') {
      // A merge patch replaces the whole list; the resourceVersion makes sure it is the list we read.
      this.echo(object, await this.options.client.request('PATCH', path, { metadata: { resourceVersion, finalizers: decision.finalizers } }, MERGE_PATCH));
      this.log(`action=release-finalizer namespace=${namespace} name=${name} type=${object.spec?.type}`);
      return true;
    }
    const updated = await this.options.client.request('PATCH', `${path}/status`,
      { metadata: { resourceVersion }, status: decision.status }, MERGE_PATCH);
    this.echo(object, updated);
    if (decision.removeOperation) {
      this.echo(object, await this.options.client.request('PATCH', path,
        { metadata: { resourceVersion: updated?.metadata?.resourceVersion, annotations: { [OPERATION_ANNOTATION]: null } } }, MERGE_PATCH));
    }
    this.log(`action=acknowledge namespace=${namespace} name=${name} type=${object.spec?.type} operation=${operation} lastOperation=${decision.status.lastOperation.type} generation=${decision.status.observedGeneration}`);
    return true;
  }

  /** Remembers the resourceVersion a patch of ours produced (at most a few per object). */
  private echo(object: ContainerRuntimeObject, written: ContainerRuntimeObject | undefined): void {
    const rv = written?.metadata?.resourceVersion;
    if (rv === undefined) return;
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    const set = this.echoes.get(key) ?? new Set<string>();
    set.add(rv);
    if (set.size > 8) set.delete(set.values().next().value as string);
    this.echoes.set(key, set);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.timers.add(timer);
      this.wakers.add(wake);
    });
  }
}

function objectPath(object: ContainerRuntimeObject): string {
  const { namespace, name } = object.metadata;
  return `/apis/extensions.gardener.cloud/v1alpha1/namespaces/${encodeURIComponent(namespace ?? '')}/containerruntimes/${encodeURIComponent(name)}`;
}
