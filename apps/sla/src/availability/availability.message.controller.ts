import {
  AvailabilityQuery,
  AvailabilityReportView,
  AvailabilityRpc,
  ComponentView,
  CreateComponentRequest,
  EventEnvelope,
  EventMap,
  Events,
  ExclusionView,
  GetComponentQuery,
  GetExclusionQuery,
  ListComponentsQuery,
  ProbeResultsCommand,
  ProbeResultView,
  PutExclusionRequest,
  UpdateComponentCommand,
} from '@sladesk/contracts';
import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Availability } from './availability-core';

export const AVAILABILITY = Symbol('AVAILABILITY');

type Env<S extends keyof EventMap> = EventEnvelope<EventMap[S]>;

/** Thin adapter: incident, maintenance and account events into the ledger; the availability requests. */
@Controller()
export class AvailabilityMessageController {
  constructor(@Inject(AVAILABILITY) private readonly a: Availability) {}

  @EventPattern(Events.IncidentOpened)
  opened(@Payload() e: Env<typeof Events.IncidentOpened>): Promise<void> {
    return this.a.ledger.onIncident(e.payload, 1);
  }

  @EventPattern(Events.IncidentUpdated)
  updated(@Payload() e: Env<typeof Events.IncidentUpdated>): Promise<void> {
    return this.a.ledger.onIncident(e.payload, 1);
  }

  /** Restorations from before revisions existed count as revision 2. */
  @EventPattern(Events.IncidentRestored)
  restored(@Payload() e: Env<typeof Events.IncidentRestored>): Promise<void> {
    return this.a.ledger.onIncident(e.payload, 2);
  }

  @EventPattern(Events.MaintenanceCompleted)
  maintenanceCompleted(@Payload() e: Env<typeof Events.MaintenanceCompleted>): Promise<void> {
    return this.a.ledger.onMaintenanceCompleted(e.payload);
  }

  @EventPattern(Events.AccountCreated)
  accountCreated(@Payload() e: Env<typeof Events.AccountCreated>): Promise<void> {
    return this.a.accounts.add(e.payload.id);
  }

  @MessagePattern(AvailabilityRpc.ComponentCreate)
  create(@Payload() req: CreateComponentRequest): Promise<ComponentView> {
    return this.a.createComponent(req);
  }

  @MessagePattern(AvailabilityRpc.ComponentUpdate)
  update(@Payload() cmd: UpdateComponentCommand): Promise<ComponentView> {
    return this.a.updateComponent(cmd);
  }

  @MessagePattern(AvailabilityRpc.ComponentList)
  list(@Payload() q: ListComponentsQuery): Promise<{ items: ComponentView[]; nextCursor?: string }> {
    return this.a.components.list(q);
  }

  @MessagePattern(AvailabilityRpc.ComponentGet)
  get(@Payload() q: GetComponentQuery): Promise<ComponentView> {
    return this.a.getComponent(q.id);
  }

  @MessagePattern(AvailabilityRpc.ProbeResults)
  async probeResults(@Payload() q: ProbeResultsCommand): Promise<{ items: ProbeResultView[] }> {
    const c = await this.a.components.get(q.id);
    const from = Date.parse(q.from);
    const to = q.to ? Date.parse(q.to) : Math.min(Date.now() + 1, from + 48 * 3_600_000);
    return { items: await this.a.probes.resultsOf(c, from, to, q.probeId) };
  }

  @MessagePattern(AvailabilityRpc.ExclusionPut)
  putExclusion(@Payload() req: PutExclusionRequest): Promise<ExclusionView> {
    return this.a.putExclusion(req);
  }

  @MessagePattern(AvailabilityRpc.ExclusionGet)
  getExclusion(@Payload() q: GetExclusionQuery): Promise<ExclusionView> {
    return this.a.getExclusion(q.id);
  }

  @MessagePattern(AvailabilityRpc.AvailabilityGet)
  availability(@Payload() q: AvailabilityQuery): Promise<AvailabilityReportView> {
    // As intake's case list: the gateway forces an account-scoped caller's `accountId`, which is the scope.
    return this.a.monthly(q.accountId ? { accountId: q.accountId } : CROSS_ACCOUNT, q);
  }
}
