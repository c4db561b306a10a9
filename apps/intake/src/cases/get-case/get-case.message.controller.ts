import { CaseRecord, GetCaseQuery, Rpc } from '@sladesk/contracts';
import { encodeSeqCursor } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { scopeOf } from '../../common/scope';
import { CaseRepository, notFound } from '../case.repository';
import { toCaseView, toEntryView } from '../case.schema';
import { entryBytes } from '../timeline/timeline.store';

/** A record answer stays under this many bytes, so it fits one NATS message (1 MiB by default). */
const RECORD_BYTES = 880 * 1024;
const RECORD_TIMELINE_ENTRIES = 20;

@Controller()
export class GetCaseMessageController {
  constructor(private readonly cases: CaseRepository) {}

  @MessagePattern(Rpc.CaseGet)
  async get(@Payload() q: GetCaseQuery): Promise<CaseRecord> {
    const found = await this.cases.findById(scopeOf(q.scope), q.id);
    if (!found) throw notFound(q.id);
    const view = toCaseView(found);
    // The latest entries of the tail that fit beside the case itself, oldest of them first.
    const latest = [];
    let bytes = Buffer.byteLength(JSON.stringify(view));
    for (let i = found.timeline.length - 1; i >= 0 && latest.length < RECORD_TIMELINE_ENTRIES; i--) {
      bytes += entryBytes(found.timeline[i]);
      if (bytes > RECORD_BYTES) break;
      latest.unshift(found.timeline[i]);
    }
    const complete = latest.length === found.seq;
    return {
      ...view,
      timeline: latest.map(toEntryView),
      timelineTotal: found.seq,
      ...(complete ? {} : { timelineCursor: encodeSeqCursor(1) }),
    };
  }
}
