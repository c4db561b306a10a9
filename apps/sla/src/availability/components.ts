import { AppError, ComponentFields, ComponentView, CreateComponentRequest, EXCLUSION_KINDS, ObjectiveView, ProbeView } from '@sladesk/contracts';
import { parseIsoDuration } from '@sladesk/business-time';

/** A component as stored in `avail_components` (`_id` = component id). */
export interface ComponentDoc {
  _id: string;
  name: string;
  kind: string;
  description: string;
  objectives: ObjectiveView[];
  accountIds: string[] | null;
  probes: ProbeConfig[];
  builtin: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type ProbeConfig = Omit<ProbeView, 'state'>;

export const DEFAULT_DEGRADED_WEIGHT_BP = 5000;

/** Fills in every default, checks what the decorators cannot (answers COMPONENT.INVALID with each problem). */
export function normalizeComponent(req: ComponentFields & { id: string }): Pick<ComponentDoc, 'name' | 'kind' | 'description' | 'objectives' | 'accountIds' | 'probes'> {
  const problems: { path: string; problem: string }[] = [];
  const seen = new Set<string>();
  const objectives = req.objectives.map((o, n): ObjectiveView => {
    const path = `objectives.${n}`;
    if (seen.has(o.id)) problems.push({ path: `${path}.id`, problem: `objective id ${o.id} is used twice` });
    seen.add(o.id);
    if (o.kind === 'availability' && o.restorationCredits) problems.push({ path: `${path}.restorationCredits`, problem: 'an availability objective has availabilityCredits' });
    if (o.kind === 'restoration' && o.availabilityCredits) problems.push({ path: `${path}.availabilityCredits`, problem: 'a restoration objective has restorationCredits' });
    if (o.kind === 'restoration' && o.maxDuration && parseIsoDuration(o.maxDuration) <= 0) problems.push({ path: `${path}.maxDuration`, problem: 'must be longer than zero' });
    for (const [i, r] of (o.countsFrom ?? []).entries()) {
      if (r.componentId === req.id) problems.push({ path: `${path}.countsFrom.${i}.componentId`, problem: 'a component counts its own incidents already' });
    }
    return {
      id: o.id,
      kind: o.kind,
      ...(o.clause ? { clause: o.clause } : {}),
      ...(o.kind === 'availability' ? { targetPercent: o.targetPercent } : { maxDuration: o.maxDuration }),
      timeZone: o.timeZone ?? 'UTC',
      excludes: o.excludes ?? [],
      countsFrom: (o.countsFrom ?? []).map((r) => ({ componentId: r.componentId, ...(r.causes ? { causes: r.causes } : {}) })),
      degradedWeightBasisPoints: o.degradedWeightBasisPoints ?? DEFAULT_DEGRADED_WEIGHT_BP,
      ...(o.kind === 'availability'
        ? { availabilityCredits: [...(o.availabilityCredits ?? [])].map((t) => ({ belowPercent: t.belowPercent, creditBasisPoints: t.creditBasisPoints })) }
        : { restorationCredits: [...(o.restorationCredits ?? [])].map((t) => ({ overMinutes: t.overMinutes, creditBasisPoints: t.creditBasisPoints })) }),
      creditCapBasisPoints: o.creditCapBasisPoints ?? 10_000,
    };
  });
  const probeIds = new Set<string>();
  const probes = (req.probes ?? []).map((p, n): ProbeConfig => {
    const path = `probes.${n}`;
    if (probeIds.has(p.id)) problems.push({ path: `${path}.id`, problem: `probe id ${p.id} is used twice` });
    probeIds.add(p.id);
    const interval = p.interval ?? 'PT30S';
    const timeout = p.timeout ?? 'PT5S';
    if (parseIsoDuration(interval) < 1) problems.push({ path: `${path}.interval`, problem: 'at least PT1S' });
    if (parseIsoDuration(timeout) < 1) problems.push({ path: `${path}.timeout`, problem: 'at least PT1S' });
    if (parseIsoDuration(timeout) > parseIsoDuration(interval)) problems.push({ path: `${path}.timeout`, problem: 'longer than the interval' });
    if (p.kind === 'http' && p.url) {
      try {
        new URL(p.url);
      } catch {
        problems.push({ path: `${path}.url`, problem: 'not a URL' });
      }
    }
    return {
      id: p.id,
      kind: p.kind,
      ...(p.kind === 'http' ? { url: p.url, method: p.method ?? 'GET', expectStatus: p.expectStatus ?? [] } : { host: p.host, port: p.port }),
      interval,
      timeout,
      failuresToOpen: p.failuresToOpen ?? 3,
      successesToRestore: p.successesToRestore ?? 2,
      severity: p.severity ?? 'high',
    };
  });
  if (problems.length) throw new AppError('COMPONENT.INVALID', problems.map((p) => `${p.path}: ${p.problem}`).join('; '), problems);
  return {
    name: req.name,
    kind: req.kind,
    description: req.description ?? '',
    objectives,
    accountIds: req.accountIds ?? null,
    probes,
  };
}

export const toComponentView = (c: ComponentDoc): ComponentView => ({
  id: c._id,
  name: c.name,
  kind: c.kind,
  description: c.description,
  objectives: c.objectives,
  accountIds: c.accountIds,
  probes: c.probes,
  builtin: c.builtin,
  version: c.version,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

// ---- the default contract -------------------------------------------------------------------

const CONTRACT = 'Default contract, "Resilience and Availability"';
const MAINTENANCE = EXCLUSION_KINDS.ScheduledMaintenance;
/**
 * Credit tiers: the contract states no credit amounts, so these are defaults to edit (`PUT /v1/components/{id}`):
 * below 99.9 % → 10 %, below 99 % → 25 %; a 100 % objective credits its first tier for any downtime; a late
 * host restoration credits 10 % per late incident.
 */
const TIERS_99_9 = [
  { belowPercent: 99.9, creditBasisPoints: 1000 },
  { belowPercent: 99, creditBasisPoints: 2500 },
];
const TIERS_100 = [
  { belowPercent: 100, creditBasisPoints: 1000 },
  { belowPercent: 99, creditBasisPoints: 2500 },
];

/** The four components of the default contract, each objective citing its clause (seeded once, by fixed ids). */
export const DEFAULT_COMPONENTS: CreateComponentRequest[] = [
  {
    id: 'network',
    name: 'Data center network',
    kind: 'network',
    objectives: [
      {
        id: 'monthly-availability',
        kind: 'availability',
        targetPercent: 100,
        timeZone: 'UTC',
        excludes: [MAINTENANCE],
        availabilityCredits: TIERS_100,
        clause: `${CONTRACT}, Rackspace Network: "the data center network will be available 100% of the time in any given monthly billing period, excluding scheduled maintenance."`,
      },
    ],
  },
  {
    id: 'datacenter',
    name: 'Data center infrastructure (power and HVAC)',
    kind: 'datacenter',
    objectives: [
      {
        id: 'monthly-availability',
        kind: 'availability',
        targetPercent: 100,
        timeZone: 'UTC',
        excludes: [MAINTENANCE],
        countsFrom: [{ componentId: 'servers', causes: ['power', 'hvac'] }],
        availabilityCredits: TIERS_100,
        clause: `${CONTRACT}, Rackspace Data Center Infrastructure: "data center HVAC and power will be functioning 100% of the time in any given monthly billing period, excluding scheduled maintenance. Infrastructure downtime exists when Cloud Servers downtime occurs as a result of power or heat problems."`,
      },
    ],
  },
  {
    id: 'servers',
    name: 'Cloud server hosts (compute, storage, hypervisor)',
    kind: 'server_hosts',
    objectives: [
      {
        id: 'restoration',
        kind: 'restoration',
        maxDuration: 'PT1H',
        timeZone: 'UTC',
        excludes: [MAINTENANCE],
        restorationCredits: [{ overMinutes: 0, creditBasisPoints: 1000 }],
        clause: `${CONTRACT}, Rackspace Cloud Server Hosts: "If a cloud server host fails, we guaranty that restoration or repair will be complete within one hour of problem identification."`,
      },
    ],
  },
  {
    id: 'database',
    name: 'Cloud database instances',
    kind: 'database',
    objectives: [
      {
        id: 'monthly-availability',
        kind: 'availability',
        targetPercent: 99.9,
        timeZone: 'UTC',
        excludes: [MAINTENANCE, EXCLUSION_KINDS.ResizeMigration],
        availabilityCredits: TIERS_99_9,
        clause: `${CONTRACT}, Rackspace Cloud Database Instances: "available 99.9% of the time in any given monthly billing period, excluding Scheduled Maintenance. This guarantee includes unavailability due to failures with the Datacenter Infrastructure (including power and network), but excludes downtime due to either Scheduled Maintenance or Instance Resize Migration."`,
      },
    ],
  },
];
