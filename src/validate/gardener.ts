import Ajv, { ValidateFunction } from 'ajv';

/**
 * Offline schemas for the two Gardener garden objects synth writes (kubernetes-models has none),
 * written from gardener/gardener's API types: ControllerRegistration (core.gardener.cloud/v1beta1,
 * pkg/apis/core/v1beta1/types_controllerregistration.go) and ControllerDeployment
 * (core.gardener.cloud/v1, pkg/apis/core/v1/types_controllerdeployment.go). Unknown fields are refused.
 */
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const metadata = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: DNS_SUBDOMAIN, maxLength: 253 }, labels: { type: 'object', additionalProperties: { type: 'string' } } },
};

const CONTROLLER_REGISTRATION = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'core.gardener.cloud/v1beta1' },
    kind: { const: 'ControllerRegistration' },
    metadata,
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        resources: {
          type: 'array',
          items: {
            type: 'object',
            required: ['kind', 'type'],
            additionalProperties: false,
            properties: {
              kind: { type: 'string', minLength: 1 },
              type: { type: 'string', minLength: 1 },
              globallyEnabled: { type: 'boolean' },
              reconcileTimeout: { type: 'string' },
              primary: { type: 'boolean' },
              lifecycle: { type: 'object' },
              workerlessSupported: { type: 'boolean' },
              autoEnable: { type: 'array', items: { type: 'string' } },
              clusterCompatibility: { type: 'array', items: { type: 'string' } },
            },
          },
        },
        deployment: {
          type: 'object',
          additionalProperties: false,
          properties: {
            policy: { enum: ['OnDemand', 'Always', 'AlwaysExceptNoShoots'] },
            seedSelector: { type: 'object' },
            deploymentRefs: { type: 'array', items: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1 } } } },
          },
        },
      },
    },
  },
};

const CONTROLLER_DEPLOYMENT = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'core.gardener.cloud/v1' },
    kind: { const: 'ControllerDeployment' },
    metadata,
    helm: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // []byte: base64 in JSON.
        rawChart: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' },
        values: { type: 'object' },
        ociRepository: { type: 'object' },
      },
    },
    injectGardenKubeconfig: { type: 'boolean' },
    resources: { type: 'array' },
  },
};

/** A model class like kubernetes-models': `new X(object).validate()` throws on a broken object. */
function model(schema: object): new (object: unknown) => { validate(): void } {
  let compiled: ValidateFunction | undefined;
  return class {
    constructor(private readonly object: unknown) {}

    public validate(): void {
      compiled ??= new Ajv({ allErrors: true }).compile(schema);
      if (!compiled(this.object)) {
        throw new Error((compiled.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; '));
      }
    }
  };
}

export const ControllerRegistration = model(CONTROLLER_REGISTRATION);
export const ControllerDeployment = model(CONTROLLER_DEPLOYMENT);
