import { DiagnosticCollector } from '../diagnostics';
import { Origin } from '../model/container-runtime';
import { SourceDocument } from './documents';
import { JsonObject, isObject } from './fields';

/** A Kubernetes object of the inputs: a document, or an item of a List. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly content: JsonObject;
  /** Where the object starts: its document, or its item in a List. */
  readonly origin: Origin;
}

/**
 * The Kubernetes objects of the documents, as people export them: plain objects, and the items of
 * Lists (`kubectl get -o yaml` writes a `v1 List`; the API answers with typed lists such as
 * `ShootList`, whose items may leave out apiVersion and kind). A document or item that is not a
 * Kubernetes object (a scalar, a list, a mapping without apiVersion and kind) is reported.
 */
export function kubernetesObjects(documents: readonly SourceDocument[], problems: DiagnosticCollector): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  for (const { content, origin, itemLines } of documents) {
    const object = asObject(content, origin, problems);
    if (!object) continue;
    const items = object.content.items;
    const isList = object.kind === 'List' || (object.kind.endsWith('List') && Array.isArray(items));
    if (!isList) {
      objects.push(object);
      continue;
    }
    if (items === null || items === undefined) continue;
    if (!Array.isArray(items)) {
      problems.add({ origin, subject: object.kind, path: 'items', message: 'must be a list of objects' });
      continue;
    }
    // A typed list (ShootList) names the kind of its items; `v1 List` does not.
    const itemKind = object.kind === 'List' ? undefined : object.kind.slice(0, -'List'.length);
    items.forEach((item, i) => {
      const itemOrigin = { file: origin.file, line: itemLines?.[i] ?? origin.line };
      const typed = itemKind !== undefined && isObject(item) && item.apiVersion === undefined && item.kind === undefined
        ? { apiVersion: object.apiVersion, kind: itemKind, ...item }
        : item;
      const found = asObject(typed, itemOrigin, problems, `items[${i}] of ${object.kind}`);
      if (found) objects.push(found);
    });
  }
  return objects;
}

function asObject(content: unknown, origin: Origin, problems: DiagnosticCollector, what = 'the document'): KubernetesObject | undefined {
  const shape = Array.isArray(content) ? 'a list' : typeof content !== 'object' || content === null ? `a ${typeof content} value` : undefined;
  if (shape || !isObject(content)) {
    problems.add({ origin, message: `not a Kubernetes object: ${what} is ${shape ?? 'not a mapping'}, not a mapping with apiVersion and kind` });
    return undefined;
  }
  const { apiVersion, kind } = content;
  if (typeof apiVersion !== 'string' || apiVersion === '' || typeof kind !== 'string' || kind === '') {
    const missing = [typeof apiVersion !== 'string' || apiVersion === '' ? 'apiVersion' : undefined, typeof kind !== 'string' || kind === '' ? 'kind' : undefined]
      .filter(Boolean).join(' and ');
    problems.add({ origin, message: `not a Kubernetes object: ${what} has no ${missing} (is it a fragment of a manifest?)` });
    return undefined;
  }
  return { apiVersion, kind, content, origin };
}
