import { AppError, EventEnvelope, SlaBreachedPayload } from '@sladesk/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { CaseChanges } from '../case-changes.service';
import { entry } from '../transitions';

/** The SLA service reports a missed goal: the case is flagged (`GET /v1/cases?breached=true`) and the breach is recorded. */
@Injectable()
export class MarkSlaBreachedService {
  private readonly logger = new Logger(MarkSlaBreachedService.name);

  constructor(private readonly changes: CaseChanges) {}

  async execute(event: EventEnvelope<SlaBreachedPayload>): Promise<void> {
    const p = event.payload;
    try {
      await this.changes.apply(
        p.caseId,
        () => ({
          entries: [
            entry(
              'sla_breached',
              new Date(p.at),
              { kind: 'system', name: 'SLA Desk' },
              `The ${p.clock.replace('_', ' ')} goal was missed`,
              { clock: p.clock, cycle: p.cycle, dueAt: p.dueAt ?? null },
            ),
          ],
          set: { slaBreached: true },
          events: [],
        }),
        { key: `sla:${event.eventId}` },
      );
    } catch (e) {
      if (e instanceof AppError && e.code === 'CASE.NOT_FOUND')
        return this.logger.warn(`sla.breached for unknown case ${p.caseId}: ignored`);
      throw e;
    }
  }
}
