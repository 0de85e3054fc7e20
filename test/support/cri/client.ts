/**
 * A small client for the Kubernetes CRI RuntimeService (runtime.v1) over a unix socket: just the
 * pod sandbox calls the end-to-end tests make, from the trimmed api.proto next to this file.
 */
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Namespace modes of the CRI (enum NamespaceMode). */
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

/** Sandbox states of the CRI (enum PodSandboxState). */
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt?: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroupParent?: string;
    securityContext?: {
      namespaceOptions?: { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode };
      privileged?: boolean;
    };
  };
}

export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface PodSandboxStatus {
  id: string;
  metadata?: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface PodSandbox {
  id: string;
  metadata?: PodSandboxMetadata;
  state: PodSandboxState;
  labels: Record<string, string>;
  runtimeHandler: string;
}

/** A failed CRI call: the gRPC status code and the runtime's own message (`details`). */
export class CriError extends Error {
  constructor(public readonly method: string, public readonly code: grpc.status, public readonly details: string) {
    super(`CRI ${method} failed: ${grpc.status[code] ?? code}: ${details}`);
    this.name = 'CriError';
  }
}

const PROTO = path.join(__dirname, 'api.proto');

let serviceConstructor: grpc.ServiceClientConstructor | undefined;

function runtimeServiceConstructor(): grpc.ServiceClientConstructor {
  if (!serviceConstructor) {
    const definition = protoLoader.loadSync(PROTO, {
      keepCase: false, longs: String, enums: String, defaults: true, oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(definition) as any;
    serviceConstructor = pkg.runtime.v1.RuntimeService as grpc.ServiceClientConstructor;
  }
  return serviceConstructor;
}

/** The CRI RuntimeService of one runtime endpoint (a containerd socket). */
export class CriClient {
  private readonly client: grpc.Client;

  /**
   * @param socket the unix socket path of the runtime (containerd's `grpc.address`)
   * @param timeoutMs the deadline of every call
   */
  constructor(public readonly socket: string, private readonly timeoutMs = 30_000) {
    const Service = runtimeServiceConstructor();
    this.client = new Service(`unix://${socket}`, grpc.credentials.createInsecure());
  }

  public version(): Promise<VersionResponse> {
    return this.call('Version', { version: 'v1' });
  }

  /** Creates and starts a sandbox; resolves with its id. */
  public async runPodSandbox(config: PodSandboxConfig, runtimeHandler: string): Promise<string> {
    const response = await this.call<{ podSandboxId: string }>('RunPodSandbox', { config, runtimeHandler });
    return response.podSandboxId;
  }

  public async podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus> {
    const response = await this.call<{ status: PodSandboxStatus }>('PodSandboxStatus', { podSandboxId, verbose: false });
    return response.status;
  }

  public async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call('StopPodSandbox', { podSandboxId });
  }

  public async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call('RemovePodSandbox', { podSandboxId });
  }

  /** Every sandbox, or those carrying all of `labels`. */
  public async listPodSandbox(labels: Record<string, string> = {}): Promise<PodSandbox[]> {
    const response = await this.call<{ items: PodSandbox[] }>('ListPodSandbox', { filter: { labelSelector: labels } });
    return response.items;
  }

  /** Resolves once the channel is connected, or rejects after `timeoutMs`. */
  public waitForReady(timeoutMs = this.timeoutMs): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve()));
    });
  }

  public close(): void {
    this.client.close();
  }

  private call<T>(method: string, request: object): Promise<T> {
    const fn = (this.client as any)[method] as Function | undefined;
    if (typeof fn !== 'function') throw new Error(`CRI method ${method} is not in ${PROTO}`);
    return new Promise<T>((resolve, reject) => {
      fn.call(this.client, request, { deadline: Date.now() + this.timeoutMs }, (error: grpc.ServiceError | null, response: T) => {
        if (error) reject(new CriError(method, error.code, error.details || error.message));
        else resolve(response);
      });
    });
  }
}
