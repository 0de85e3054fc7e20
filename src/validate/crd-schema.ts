import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import * as yaml from 'js-yaml';

/** The package's root directory, whether this module runs from `src/` (ts-jest) or `lib/src/`. */
function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

/**
 * A validator for the objects of one version of a CRD kept in crds/: the CRD's own
 * openAPIV3Schema, checked with Ajv, for kinds kubernetes-models has no (current) schema of.
 * Kubernetes' extensions (`x-kubernetes-*`) and formats are not checked.
 */
export function crdModel(file: string, version: string): new (object: unknown) => { validate(): void } {
  const crd = yaml.load(fs.readFileSync(path.join(packageRoot(), 'crds', file), 'utf8')) as any;
  const schema = crd.spec.versions.find((v: any) => v.name === version)?.schema?.openAPIV3Schema;
  if (!schema) throw new Error(`crds/${file} has no schema for version ${version}`);
  const validate = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(schema);
  return class {
    constructor(private readonly object: unknown) {}

    public validate(): void {
      if (validate(this.object)) return;
      throw new Error((validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; '));
    }
  };
}
