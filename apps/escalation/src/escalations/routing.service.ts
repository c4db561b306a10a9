import { EscalationLevel } from '@sladesk/contracts';
import { KeyedMutex } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { CaseProjection, loadSet } from '../cases/case-projection.service';
import { DirStaff } from '../directory/directory.schema';
import { DirectoryService } from '../directory/directory.service';
import { LoadSets } from '../keyed/load-sets';
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Who handles a case at each tier: the account's CSM, a Tier 2 member, the executives. */
@Injectable()
export class RoutingService {
  /** Least-loaded picks of one process, one at a time: each sees the one before it without a retry. */
  private readonly picks = new KeyedMutex();

  constructor(
    private readonly directory: DirectoryService,
    private readonly projection: CaseProjection,
    private readonly loads: LoadSets,
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
   * The member with the fewest open cases (a summary per member, read by `_id`; `LoadSets`). Picks of one
   * process are made one at a time; across instances the pick is reserved with a compare-and-set on
   * the member's summary, so two cases routed at the same moment see each other and spread. After
   * `ATTEMPTS` lost races the pick is counted without one: every pick is counted exactly once.
   */
  private leastLoadedFor(team: DirStaff[], caseId: string | undefined): Promise<DirStaff> {
    return this.picks.run('tier2', async () => {
      for (let attempt = 1; ; attempt++) {
        const [loads, holds] = await Promise.all([
          this.loads.loads(team.map((m) => m._id)),
          caseId ? Promise.all(team.map((m) => this.loads.has(m._id, caseId))) : team.map(() => false),
        ]);
        const pick = leastLoaded(loads.map((l, i) => l.n - (holds[i] ? 1 : 0)));
        if (!caseId || holds[pick]) return team[pick];
        await this.projection.recordMembership(caseId, loadSet(team[pick]._id));
        if (await this.loads.reserve(team[pick]._id, attempt < ATTEMPTS ? loads[pick].rev : undefined, caseId)) return team[pick];
        await sleep(Math.random() * 10 * attempt); // another instance reserved meanwhile
      }
    });
  }
}
