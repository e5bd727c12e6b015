// `peft-bench methods`: the capability matrix of the method registry, the same rows as the
// app's Methods page — merges, model families, export format, inference cost, formula, counts.
import type { MethodCapability } from '../../shared/explorer_ipc';
import { methodCapabilities } from '../explorer';
import { fmtCount, table } from './format';

export function methodsReport(json: boolean): string {
  const caps = methodCapabilities();
  if (json) return JSON.stringify(caps, null, 2);
  const families = Object.keys(caps[0]?.families ?? {});
  const applies = (c: MethodCapability, f: string) => (c.families[f] === null ? 'yes' : 'no');
  const rows = caps.map((c) => [
    c.id, c.mergeable ? 'yes' : 'no', ...families.map((f) => applies(c, f)), c.exportFormat,
    c.t5LargeTrainable === null ? '—' : fmtCount(c.t5LargeTrainable), c.formula,
  ]);
  const matrix = table(['method', 'merges', ...families.map((f) => f.replace(/ \(.*\)$/, '')), 'export', 'T5-Large trainable', 'trainable parameters'], rows);
  const costs = caps.map((c) => `  ${c.id}: ${c.inferenceOverhead}`).join('\n');
  const refusals = families.flatMap((f) => {
    const refused = caps.filter((c) => c.families[f] !== null);
    // One line when a family refuses every method for one reason (no loader yet).
    if (refused.length === caps.length && new Set(refused.map((c) => c.families[f])).size === 1) return [`  every method on ${f}: ${refused[0].families[f]}`];
    return refused.map((c) => `  ${c.id} on ${f}: ${c.families[f]}`);
  });
  return `${matrix}\n\ninference cost (T5-Large, defaults):\n${costs}\n\nwhere a method does not apply:\n${refusals.join('\n')}`;
}
