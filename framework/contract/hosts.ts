/**
 * The hosts of a multi-instance training job (`resourceconfig.json`, `SM_HOSTS`). SageMaker gives
 * every host the same channels and merges their model folders into one `model.tar.gz`, so the hosts
 * agree, each on its own, on who trains what and who writes the shared files.
 */

/** A job's hosts and this one's name (TrainContext.hosts). */
export interface JobHosts {
  current: string;
  all: readonly string[];
}

/** The host that writes a job's shared files (the manifest, an algorithm's index): the first name in sorted order (`algo-1`). */
export function designatedHost(hosts: JobHosts): string {
  return [...hosts.all].sort()[0] ?? hosts.current;
}

/** Whether this host writes the shared files: always on a single host. */
export function isDesignatedHost(hosts: JobHosts): boolean {
  return hosts.all.length <= 1 || hosts.current === designatedHost(hosts);
}

/**
 * Assigns items of known cost to hosts, balancing the hosts' total cost (longest processing time
 * first: the costliest item goes to the least loaded host). Depends only on the costs and the set of
 * host names, so every host computes the same assignment. Returns each item's host; ties go to the
 * lower item index and to the host first in sorted order (the designated host gets the costliest item).
 */
export function assignToHosts(costs: readonly number[], hosts: readonly string[]): string[] {
  const names = [...new Set(hosts)].sort();
  if (names.length === 0) throw new Error('assignToHosts: no hosts');
  const load = names.map(() => 0);
  const order = costs.map((_, i) => i).sort((a, b) => costs[b]! - costs[a]! || a - b);
  const owner = new Array<string>(costs.length);
  for (const i of order) {
    let best = 0;
    for (let h = 1; h < names.length; h++) if (load[h]! < load[best]!) best = h;
    load[best]! += costs[i]!;
    owner[i] = names[best]!;
  }
  return owner;
}
