import { Origin } from '../model/container-runtime';
import { Assignment } from '../sources/shoot';
import { asStringMap, isObject } from '../sources/fields';

/**
 * `spec.assignments`: runtimes the pipeline declares itself, for runtimes the landscape does not
 * register (Gardener's admission refuses them in the Shoot). The document has passed the
 * pipeline schema: every entry names shoots (by names or a selector), a pool and a type.
 */
export function assignments(raw: unknown, origin: Origin, subject: string): Assignment[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isObject).map((entry, i) => {
    const shoots = isObject(entry.shoots) ? entry.shoots : {};
    const selector = isObject(shoots.selector) ? asStringMap(shoots.selector.matchLabels) : undefined;
    return {
      shoots: Array.isArray(shoots.names) ? { names: shoots.names as string[] } : { selector: selector ?? {} },
      pool: String(entry.pool),
      type: String(entry.type),
      providerConfig: entry.providerConfig,
      origin,
      subject,
      path: `spec.assignments[${i}]`,
    };
  });
}
