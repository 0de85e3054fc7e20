import * as path from 'path';
import { BUILTIN_RUNTIMES } from '../catalog';
import { RuntimeConfigFormat, RuntimeDefinition } from '../catalog/types';
import { Architecture } from '../model/container-runtime';
import { isObject } from '../sources/fields';
import { tomlValueProblem } from '../installer/toml';
import { runtimeConfigPathProblem, runtimeFileNameProblem } from '../validate/host-paths';
import { pinnedImageProblem } from '../validate/image';
import { DNS_LABEL } from '../validate/names';

const ARCHITECTURES: readonly Architecture[] = ['amd64', 'arm64'];
const OPTION_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * `spec.runtimes` entries of the pipeline file: each key is a runtime type; an entry for a built-in
 * type overrides the fields it names, an entry for a new type must name them all. Returns the
 * complete definitions; problems go to `report` with the field path.
 */
export function parseRuntimeOverrides(
  raw: unknown, report: (path: string, message: string) => void,
): RuntimeDefinition[] {
  if (raw === undefined || raw === null) return [];
  if (!isObject(raw)) return report('spec.runtimes', 'must be a map of runtime type to definition'), [];
  const definitions: RuntimeDefinition[] = [];
  for (const [type, entry] of Object.entries(raw)) {
    const at = `spec.runtimes.${type}`;
    if (!DNS_LABEL.test(type)) { report(at, 'runtime type must be a DNS label'); continue; }
    if (!isObject(entry)) { report(at, 'must be a map'); continue; }
    const base = BUILTIN_RUNTIMES.find((d) => d.type === type);
    const merged = { description: `${type} (from the pipeline file)`, ...base, ...entry, type } as RuntimeDefinition;
    const problems: [string, string][] = [];
    checkDefinition(merged, (p, m) => problems.push([`${at}.${p}`, m]));
    problems.forEach(([p, m]) => report(p, m));
    if (problems.length === 0) definitions.push(merged);
  }
  return definitions;
}

function checkDefinition(d: RuntimeDefinition, report: (path: string, message: string) => void): void {
  const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';
  if (!isString(d.image)) report('image', 'is required: the image holding the runtime\'s files');
  else {
    const problem = pinnedImageProblem(d.image);
    if (problem) report('image', problem);
  }
  if (!Array.isArray(d.files) || d.files.length === 0) {
    report('files', 'is required: absolute paths of the runtime\'s files in the image');
  } else {
    d.files.forEach((f, i) => {
      if (!isString(f) || !path.posix.isAbsolute(f) || !/^[A-Za-z0-9._/+-]+$/.test(f)) {
        report(`files[${i}]`, 'must be an absolute path of letters, digits and . _ / + -');
      }
    });
    const names = d.files.map((f) => path.posix.basename(String(f)));
    names.forEach((name, i) => {
      const problem = runtimeFileNameProblem(name);
      if (problem) report(`files[${i}]`, problem);
    });
    if (new Set(names).size !== names.length) report('files', 'two files have the same base name');
  }
  if (!Array.isArray(d.architectures) || d.architectures.length === 0
    || d.architectures.some((a) => !ARCHITECTURES.includes(a))) {
    report('architectures', `must list some of ${ARCHITECTURES.join(', ')}`);
  }
  if (d.aliases !== undefined && (!Array.isArray(d.aliases) || d.aliases.some((a) => !isString(a) || !DNS_LABEL.test(a)))) {
    report('aliases', 'must be a list of DNS labels');
  }
  if (d.config !== undefined && (!isObject(d.config) || !Object.values(RuntimeConfigFormat).includes(d.config.format)
    || !isString(d.config.path) || !path.posix.isAbsolute(d.config.path))) {
    report('config', `must have an absolute path and a format (${Object.values(RuntimeConfigFormat).join(', ')})`);
  } else if (d.config !== undefined) {
    const problem = runtimeConfigPathProblem(d.config.path);
    if (problem) report('config.path', problem);
  }
  if (!Array.isArray(d.classes) || d.classes.length === 0) return report('classes', 'must list at least one class');
  const seen = { name: new Set<string>(), handler: new Set<string>() };
  d.classes.forEach((c, i) => {
    const at = `classes[${i}]`;
    if (!isObject(c)) return report(at, 'must be a map');
    if (!isString(c.name) || !DNS_LABEL.test(c.name)) report(`${at}.name`, 'must be a DNS label');
    else if (seen.name.has(c.name)) report(`${at}.name`, `another class is named "${c.name}"`);
    if (!isString(c.handler) || !DNS_LABEL.test(c.handler)) report(`${at}.handler`, 'must be a DNS label');
    else if (c.handler === 'runc') report(`${at}.handler`, '"runc" is the node\'s default runtime; a runtime never replaces it');
    else if (seen.handler.has(c.handler)) report(`${at}.handler`, `another class uses handler "${c.handler}" (one handler, one class)`);
    if (isString(c.name)) seen.name.add(c.name);
    if (isString(c.handler)) seen.handler.add(c.handler);
    if (!isString(c.runtimeType) || !/^io\.containerd\.[a-z0-9.-]+$/.test(c.runtimeType)) {
      report(`${at}.runtimeType`, 'must be a containerd runtime type such as io.containerd.runc.v2');
    }
    if (c.options !== undefined) {
      if (!isObject(c.options)) return report(`${at}.options`, 'must be a map');
      for (const [key, value] of Object.entries(c.options)) {
        if (!OPTION_KEY.test(key)) report(`${at}.options.${key}`, 'option names are letters, digits, _ and -');
        const problem = tomlValueProblem(value);
        if (problem) report(`${at}.options.${key}`, problem);
      }
    }
    if (c.overhead !== undefined && !isObject(c.overhead)) report(`${at}.overhead`, 'must be a map with cpu and memory');
    if (c.snapshotter !== undefined && (!isString(c.snapshotter) || !DNS_LABEL.test(c.snapshotter))) {
      report(`${at}.snapshotter`, 'must be the name of a containerd snapshotter, e.g. devmapper');
    }
  });
}
