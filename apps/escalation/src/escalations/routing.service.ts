import { EscalationLevel } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { CaseProjection, loadSet } from '../cases/case-projection.service';
import { DirStaff } from '../directory/directory.schema';
import { DirectoryService } from '../directory/directory.service';
import { IdSets } from '../keyed/id-sets';
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

/** The index of the smallest load; ties go to the first (the team is in id order). */
export function leastLoaded(loads: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < loads.length; i++) if (loads[i] < loads[best]) best = i;
  return best;
}

const ATTEMPTS = 8;

/** Who handles a case at each tier: the account's CSM, a Tier 2 member, the executives. */
@Injectable()
export class RoutingService {
  constructor(
    private readonly directory: DirectoryService,
    private readonly projection: CaseProjection,
    private readonly sets: IdSets,
    @InjectModel('RoundRobin') private readonly counters: Model<{ _id: string; n: number }>,
  ) {}

  async route(level: EscalationLevel, accountId: string | undefined, policy: EffectivePolicy, caseId?: string): Promise<Route> {
    if (level === 'tier1') {
      const account = accountId ? await this.directory.account(accountId) : null;
      const csm = account?.csmId ? await this.directory.member(account.csmId) : null;
      if (csm?.active) return { assignee: csm, recipients: [csm] };
      // No dedicated CSM (yet): Tier 2 triages instead of the case waiting for nobody.
      return this.route('tier2', accountId, policy, caseId);
    }
    if (level === 'tier2') {
      const team = await this.directory.withRole('tier2');
      if (!team.length) return { recipients: [] };
      const pick = policy.tier2Assignment === 'round_robin' ? await this.roundRobin(team) : await this.leastLoadedFor(team, caseId);
      return { assignee: pick, recipients: [pick] };
    }
    return { recipients: await this.directory.withRole('executive') };
  }

  private async roundRobin(team: DirStaff[]): Promise<DirStaff> {
    const c = await this.counters.findOneAndUpdate({ _id: 'tier2' }, { $inc: { n: 1 } }, { upsert: true, new: true }).lean();
    return team[(c!.n - 1) % team.length];
  }

  /**
   * The member with the fewest open cases (one set per member, read by `_id`). The pick is reserved
   * with a compare-and-set on the member's set, so two cases routed at the same moment (two handlers,
   * two instances) see each other and spread instead of landing on the same member.
   */
  private async leastLoadedFor(team: DirStaff[], caseId: string | undefined): Promise<DirStaff> {
    let pick = 0;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const loads = await this.sets.readMany(team.map((m) => loadSet(m._id)));
      pick = leastLoaded(loads.map((s) => s.members.size - (caseId && s.members.has(caseId) ? 1 : 0)));
      if (!caseId || loads[pick].members.has(caseId)) return team[pick];
      const set = loadSet(team[pick]._id);
      await this.projection.recordMembership(caseId, set);
      if (await this.sets.reserve(set, loads[pick].rev, caseId)) return team[pick];
    }
    return team[pick];
  }
}
