import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';

/** The package's root directory, whether this module runs from `src/` (ts-jest) or `lib/src/`. */
export function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

/** Where the pipeline file's JSON Schema lives (editors read it too). */
export const PIPELINE_SCHEMA_PATH = path.join(packageRoot(), 'docs', 'pipeline.schema.json');

/** One way a document breaks the schema: a dotted field path (`''` for the document) and a sentence. */
export interface SchemaProblem {
  readonly path: string;
  readonly message: string;
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    const schema = JSON.parse(fs.readFileSync(PIPELINE_SCHEMA_PATH, 'utf8'));
    const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/**
 * Checks a parsed pipeline file against docs/pipeline.schema.json. Returns every problem, in the
 * schema validator's order without duplicates; none means the document has the right form (the
 * loader still checks what the schema cannot, e.g. that a new runtime names every field).
 */
export function schemaProblems(document: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(document)) return [];
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const problem = describe(error, document);
    if (problem === undefined) continue;
    const key = `${problem.path}\0${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

/** A readable name for each pattern of the schema; a pattern not listed is quoted as it is. */
const PATTERN_PHRASES: Readonly<Record<string, string>> = {
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$': 'a DNS label (lowercase letters, digits and -, starting and ending with a letter or digit)',
  '^/([A-Za-z0-9._+-]+/)*[A-Za-z0-9._+-]+$': 'an absolute path of letters, digits and . _ / + -',
  '^io\\.containerd\\.[a-z0-9.-]+$': 'a containerd runtime type such as io.containerd.runc.v2',
  '^[A-Za-z0-9_-]+$': 'letters, digits, _ and -',
  '^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$': 'a quantity such as 250m or 160Mi',
  '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*$':
    'a registry host with an optional port and path prefix, without a scheme, e.g. registry.example.com:5000/mirror',
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$': 'a shoot as <project-namespace>/<name>, e.g. garden-dev/alpha',
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$':
    'a label key such as app or example.com/tier',
  '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$': 'a label value (letters, digits, - _ and ., starting and ending with a letter or digit)',
  '^(?!/)(?!(.*/)?\\.\\.(/|$)).*$': 'a relative path inside the repository (no leading / and no ..)',
  '^([a-z0-9.-]|\\{(shoot|project|namespace)\\})+$': 'a name of lowercase letters, digits, . and -, with placeholders {shoot}, {project}, {namespace}',
  '^([0-9]+(ms|s|m|h))+$': 'a duration such as 10m or 1h30m',
  '@sha256:[0-9a-f]{64}$': 'an image pinned by a digest (image@sha256:<64 hex digits>)',
};

/** @internal The phrase a `must be ...` message uses for a pattern (exported for the tests). */
export function patternPhrase(pattern: string): string | undefined {
  return PATTERN_PHRASES[pattern];
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'a boolean',
  object: 'a map', array: 'a list', null: 'empty',
};

function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** Turns a JSON pointer into the tool's dotted path, with `[i]` where the document has a list. */
function dottedPath(pointer: string, document: unknown): string {
  if (pointer === '') return '';
  let out = '';
  let at: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) {
      out += `[${segment}]`;
      at = at[Number(segment)];
    } else {
      out += out === '' ? segment : `.${segment}`;
      at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[segment] : undefined;
    }
  }
  return out;
}

function join(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

function describe(error: ErrorObject, document: unknown): SchemaProblem | undefined {
  const at = dottedPath(error.instancePath, document);
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema as Record<string, unknown> | undefined;
  // Errors about a key (propertyNames) carry the key; the wrapping "propertyNames" error adds nothing.
  if (error.keyword === 'propertyNames') return undefined;
  const keyName = (error as ErrorObject & { propertyName?: string }).propertyName;
  if (keyName !== undefined) {
    // The propertyNames schema's title names what the key is ("Runtime type" -> "runtime type must be ...").
    const title = typeof parent?.title === 'string' ? parent.title : 'Key';
    const what = title.charAt(0).toLowerCase() + title.slice(1);
    const message = `${what} ${messageFor(error, params, parent)}`;
    return { path: join(at, keyName), message };
  }
  switch (error.keyword) {
    case 'required':
      return { path: join(at, String(params.missingProperty)), message: 'is required' };
    case 'maxProperties': {
      // Too many fields only because of unknown ones: the "unknown field" problems say it.
      const known = Object.keys(error.data as object).filter((k) => Object.keys((parent?.properties as object | undefined) ?? {}).includes(k));
      if (known.length <= Number(params.limit)) return undefined;
      return { path: at, message: messageFor(error, params, parent) };
    }
    case 'additionalProperties':
      return { path: at, message: `unknown field "${String(params.additionalProperty)}"` };
    default:
      return { path: at, message: messageFor(error, params, parent) };
  }
}

function messageFor(error: ErrorObject, params: Record<string, unknown>, parent: Record<string, unknown> | undefined): string {
  const fields = () => Object.keys((parent?.properties as object | undefined) ?? {});
  switch (error.keyword) {
    case 'type': {
      const types = String(params.type).split(',');
      if (types.length === 1 && types[0] === 'boolean') return 'must be true or false';
      return `must be ${orList(types.map((t) => TYPE_NAMES[t] ?? t))}`;
    }
    case 'const':
      return `must be ${String(params.allowedValue)}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'pattern': {
      const phrase = patternPhrase(String(params.pattern));
      return phrase !== undefined ? `must be ${phrase}` : `must match ${String(params.pattern)}`;
    }
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`;
    case 'maxLength':
      return `must be at most ${String(params.limit)} characters long`;
    case 'minItems':
      return params.limit === 1 ? 'must list at least one item' : `must list at least ${String(params.limit)} items`;
    case 'maxItems':
      return `must list at most ${String(params.limit)} items`;
    case 'uniqueItems': {
      const items = error.data as unknown[];
      return `must not list ${JSON.stringify(items[Number(params.j)])} twice`;
    }
    case 'minimum':
      return `must be at least ${String(params.limit)}`;
    case 'maximum':
      return `must be at most ${String(params.limit)}`;
    case 'minProperties':
      return params.limit === 1 && parent?.maxProperties === 1
        ? `must give ${orList(fields())}`
        : params.limit === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} entries`;
    case 'maxProperties':
      if (params.limit === 1 && fields().length === 2) return `must give ${fields().join(' or ')}, not both`;
      return params.limit === 1 ? `must give only one of ${fields().join(', ')}` : `must have at most ${String(params.limit)} entries`;
    default:
      return error.message ?? 'is not valid';
  }
}
