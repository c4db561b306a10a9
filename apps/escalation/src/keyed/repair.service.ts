import { Outbound } from '@sladesk/outbound';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { CaseProjection } from '../cases/case-projection.service';
import { CaseState } from '../cases/case-state.schema';
import { DirectoryService } from '../directory/directory.service';
import { Escalation } from '../escalations/escalation.schema';
import { LegacyNotifications } from '../notifications/legacy-notifications';
import { DueIndexes } from './due-indexes';
import { LoadSets } from './load-sets';

/**
 * The only automatic queries of this service that read whole collections on FerretDB (on MongoDB
 * they use the declared indexes), run in the background every `SLADESK_ESCALATION_REPAIR_MS`
 * (default 15 min): anything overdue that the due-time indexes do not hold (data from before they
 * existed, or an entry lost to a bug) is scheduled again, escalations that have waited long for a
 * delivery are checked again, the role sets are rebuilt from the
 * staff copies, and the Tier 2 load sets are reconciled with the cases they list (`LoadSets.reconcile`). Scheduling twice is harmless: the handlers check the document before acting.
 */
@Injectable()
export class RepairService {
  private readonly logger = new Logger(RepairService.name);

  constructor(
    @InjectModel(Escalation.name) private readonly escalations: Model<Escalation>,
    @InjectModel(CaseState.name) private readonly cases: Model<CaseState>,
    private readonly directory: DirectoryService,
    private readonly due: DueIndexes,
    private readonly outbound: Outbound,
    private readonly legacy: LegacyNotifications,
    private readonly loads: LoadSets,
    private readonly projection: CaseProjection,
  ) {}

  async run(now = new Date()): Promise<number> {
    const lte = mongoose.trusted({ $lte: now });
    let n = 0;
    for await (const e of this.escalations.find({ state: 'open', ackDueAt: lte }, { ackDueAt: 1 }).lean<Escalation[]>().cursor()) {
      await this.due.acks.schedule(e._id, e.ackDueAt!, now);
      n += 1;
    }
    // Waiting for their notification's delivery for a while: checked again (a lost delivery report).
    const waiting = { state: 'open', ackDueAt: mongoose.trusted({ $exists: false }), updatedAt: mongoose.trusted({ $lte: new Date(now.getTime() - 600_000) }) };
    for await (const e of this.escalations.find(waiting, { _id: 1 }).lean<Escalation[]>().cursor()) {
      await this.due.acks.schedule(e._id, now, now);
      n += 1;
    }
    // Notifications are outbound deliveries: overdue pending ones scheduled again, and any an old instance left in `notifications` moved.
    n += await this.outbound.rescheduleOverdue('escalation', now);
    n += await this.legacy.move(now);
    for await (const c of this.cases.find({ unresolvedDueAt: lte }, { unresolvedDueAt: 1 }).lean<CaseState[]>().cursor()) {
      await this.due.unresolved.schedule(c._id, c.unresolvedDueAt!, now);
      n += 1;
    }
    await this.directory.rebuildRoleSets();
    // Tier 2 loads: members in their buckets, summaries at their buckets' sizes, no case that left still counted.
    await this.loads.reconcile((staffId, caseId) => this.projection.recheckLoad(staffId, caseId));
    if (n) this.logger.log(`re-indexed ${n} overdue item(s)`);
    return n;
  }
}
