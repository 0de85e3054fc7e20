import { Origin } from '../model/container-runtime';
import { Assignment } from '../sources/shoot';
import { asStringMap, isObject } from '../sources/fields';
import { DNS_LABEL } from '../validate/names';

const SHOOT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * `spec.assignments`: runtimes the pipeline declares itself, for runtimes the landscape does not
 * register (Gardener's admission refuses them in the Shoot). Problems go to `report`.
 */
export function parseAssignments(
  raw: unknown, origin: Origin, subject: string, report: (path: string, message: string) => void,
): Assignment[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return report('spec.assignments', 'must be a list'), [];
  const assignments: Assignment[] = [];
  raw.forEach((entry, i) => {
    const path = `spec.assignments[${i}]`;
    const before: string[] = [];
    const bad = (p: string, m: string) => { before.push(p); report(p, m); };
    if (!isObject(entry)) return bad(path, 'must be a map with shoots, pool and type');
    const shoots = isObject(entry.shoots) ? entry.shoots : undefined;
    const names = shoots?.names;
    const selector = isObject(shoots?.selector) ? asStringMap(shoots?.selector.matchLabels) : undefined;
    if (!shoots || (names === undefined) === (shoots.selector === undefined)) {
      bad(`${path}.shoots`, 'must name the shoots either by names (namespace/name) or by selector.matchLabels, not both');
    } else if (names !== undefined && (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || !SHOOT_NAME.test(n)))) {
      bad(`${path}.shoots.names`, 'must list shoots as namespace/name, e.g. garden-dev/alpha');
    } else if (shoots.selector !== undefined && (!selector || Object.keys(selector).length === 0)) {
      bad(`${path}.shoots.selector`, 'must have matchLabels: a map of shoot labels');
    }
    if (typeof entry.pool !== 'string' || !DNS_LABEL.test(entry.pool) || entry.pool.length > 15) {
      bad(`${path}.pool`, 'must be a worker pool name (a DNS label of at most 15 characters)');
    }
    if (typeof entry.type !== 'string' || !DNS_LABEL.test(entry.type)) bad(`${path}.type`, 'must be a runtime type (a DNS label)');
    if (entry.providerConfig !== undefined && !isObject(entry.providerConfig)) bad(`${path}.providerConfig`, 'must be a map');
    if (before.length > 0) return;
    assignments.push({
      shoots: names !== undefined ? { names: names as string[] } : { selector: selector! },
      pool: entry.pool as string,
      type: entry.type as string,
      providerConfig: entry.providerConfig,
      origin,
      subject,
      path,
    });
  });
  return assignments;
}
