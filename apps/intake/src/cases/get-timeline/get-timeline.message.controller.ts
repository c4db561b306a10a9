import { CaseTimeline, CaseTimelineQuery, Rpc } from '@sladesk/contracts';
import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CaseRepository, notFound } from '../case.repository';
import { toEntryView } from '../case.schema';
import { verifyChain } from '../timeline/timeline';

@Controller()
export class GetTimelineMessageController {
  constructor(private readonly cases: CaseRepository) {}

  /** The case's steps in order; with `verify`, whether the hash chain is intact and where it breaks. */
  @MessagePattern(Rpc.CaseTimeline)
  async timeline(@Payload() q: CaseTimelineQuery): Promise<CaseTimeline> {
    const found = await this.cases.findById(CROSS_ACCOUNT, q.id);
    if (!found) throw notFound(q.id);
    return {
      caseId: found._id,
      entries: found.timeline.map(toEntryView),
      ...(q.verify ? { verification: verifyChain(found._id, found.timeline) } : {}),
    };
  }
}
