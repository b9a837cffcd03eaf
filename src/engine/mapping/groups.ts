import type { MappingGroup } from './schema.js';

/**
 * The order in which mapping groups are consulted, the winner first: a group comes
 * before every group it `overrides`, then higher `priority`, then by name. A cycle of
 * overrides has no order: its members are returned so the 400 can name them.
 */
export function orderGroups(groups: readonly Pick<MappingGroup, 'name' | 'priority' | 'overrides'>[]):
  { ok: true; order: number[] } | { ok: false; cycle: string[] } {
  const index = new Map(groups.map((g, i) => [g.name.toLowerCase(), i]));
  // Edge a -> b: a overrides b, so a must come first.
  const after = groups.map((g) => g.overrides.map((o) => index.get(o.toLowerCase())).filter((i): i is number => i !== undefined));
  const indegree = groups.map(() => 0);
  after.forEach((list) => list.forEach((j) => indegree[j]++));
  // A group ranks at least as high as every group it overrides, so an override lifts it above their rivals too.
  const lifted = groups.map((g) => g.priority);
  for (let pass = 0; pass < groups.length; pass++) {
    let moved = false;
    after.forEach((list, i) => list.forEach((j) => { if (lifted[j] > lifted[i]) { lifted[i] = lifted[j]; moved = true; } }));
    if (!moved) break;
  }
  const rank = (i: number, j: number) => lifted[j] - lifted[i] || groups[j].priority - groups[i].priority
    || groups[i].name.localeCompare(groups[j].name);
  const ready = groups.map((_, i) => i).filter((i) => indegree[i] === 0);
  const order: number[] = [];
  while (ready.length > 0) {
    ready.sort(rank);
    const i = ready.shift()!;
    order.push(i);
    for (const j of after[i]) if (--indegree[j] === 0) ready.push(j);
  }
  if (order.length === groups.length) return { ok: true, order };
  return { ok: false, cycle: findCycle(groups.map((g) => g.name), after, indegree) };
}

function findCycle(names: string[], after: number[][], indegree: number[]): string[] {
  const start = indegree.findIndex((d) => d > 0);
  const path: number[] = [];
  const onPath = new Set<number>();
  const walk = (i: number): number[] | null => {
    if (onPath.has(i)) return path.slice(path.indexOf(i));
    if (indegree[i] === 0) return null;
    path.push(i);
    onPath.add(i);
    for (const j of after[i]) {
      const found = walk(j);
      if (found) return found;
    }
    path.pop();
    onPath.delete(i);
    return null;
  };
  for (let i = start; i < names.length; i++) {
    const c = walk(i);
    if (c) return c.map((k) => names[k]);
  }
  return [names[start]];
}
