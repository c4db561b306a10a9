import { EscalationLevel } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { CaseState } from '../cases/case-state.schema';
import { DirStaff } from '../directory/directory.schema';
import { DirectoryService } from '../directory/directory.service';
import { EffectivePolicy } from '../policies/policy.schema';

export interface Route {
  /** Who owns the case at this level (executives are told, not assigned). */
  assignee?: DirStaff;
  recipients: DirStaff[];
}

export const NEXT_LEVEL: Record<EscalationLevel, EscalationLevel | undefined> = {
  tier1: 'tier2',
  tier2: 'executive',
  executive: undefined,
};

/** Who handles a case at each tier: the account's CSM, a Tier 2 member, the executives. */
@Injectable()
export class RoutingService {
  constructor(
    private readonly directory: DirectoryService,
    @InjectModel(CaseState.name) private readonly cases: Model<CaseState>,
    @InjectModel('RoundRobin') private readonly counters: Model<{ _id: string; n: number }>,
  ) {}

  async route(level: EscalationLevel, accountId: string | undefined, policy: EffectivePolicy): Promise<Route> {
    if (level === 'tier1') {
      const account = accountId ? await this.directory.account(accountId) : null;
      const csm = account?.csmId ? await this.directory.member(account.csmId) : null;
      if (csm?.active) return { assignee: csm, recipients: [csm] };
      // No dedicated CSM (yet): Tier 2 triages instead of the case waiting for nobody.
      return this.route('tier2', accountId, policy);
    }
    if (level === 'tier2') {
      const team = await this.directory.withRole('tier2');
      if (!team.length) return { recipients: [] };
      const pick = policy.tier2Assignment === 'round_robin' ? await this.roundRobin(team) : await this.leastLoaded(team);
      return { assignee: pick, recipients: [pick] };
    }
    return { recipients: await this.directory.withRole('executive') };
  }

  private async roundRobin(team: DirStaff[]): Promise<DirStaff> {
    const c = await this.counters.findOneAndUpdate({ _id: 'tier2' }, { $inc: { n: 1 } }, { upsert: true, new: true }).lean();
    return team[(c!.n - 1) % team.length];
  }

  /** The member with the fewest open cases assigned; ties go to the first in id order. */
  private async leastLoaded(team: DirStaff[]): Promise<DirStaff> {
    const loads = await Promise.all(
      team.map((m) =>
        this.cases.countDocuments({ assigneeId: m._id, status: mongoose.trusted({ $nin: ['resolved', 'closed'] }) }),
      ),
    );
    let best = 0;
    for (let i = 1; i < team.length; i++) if (loads[i] < loads[best]) best = i;
    return team[best];
  }
}
