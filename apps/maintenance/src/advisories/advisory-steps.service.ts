import {
  AdvisoryStage,
  AdvisoryView,
  AppError,
  AnnounceAdvisoryCommand,
  Events,
  EvidenceView,
  ReleaseAdvisoryCommand,
  TestAdvisoryCommand,
  ValidateAdvisoryCommand,
} from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { AdvisoryRepository } from './advisory.repository';
import { Advisory, toAdvisoryView } from './advisory.schema';
import { assertStep } from './pipeline';

/** Evidence as recorded: who, when, where, which version, notes, links. */
function evidenceOf(stage: EvidenceView['stage'], cmd: { by: string; at?: string; notes?: string; links?: string[]; environment?: string; version?: string }, now: Date, extra: Partial<EvidenceView> = {}): EvidenceView {
  return {
    stage,
    by: cmd.by,
    at: cmd.at ?? now.toISOString(),
    ...(cmd.environment ? { environment: cmd.environment } : {}),
    ...(cmd.version ? { version: cmd.version } : {}),
    ...(cmd.notes ? { notes: cmd.notes } : {}),
    ...(cmd.links?.length ? { links: cmd.links } : {}),
    ...extra,
  };
}

/** The steps of the patch pipeline; each records its evidence and its event in one write. */
@Injectable()
export class AdvisorySteps {
  constructor(private readonly advisories: AdvisoryRepository) {}

  private stageChanged(a: Advisory, to: AdvisoryStage, e: EvidenceView, now: Date) {
    return outboxEvent(
      Events.AdvisoryStageChanged,
      {
        advisoryId: a._id,
        kind: a.kind,
        severity: a.severity,
        from: a.stage,
        to,
        by: e.by,
        ...(e.environment ? { environment: e.environment } : {}),
        ...(e.version ? { version: e.version } : {}),
        ...(e.result ? { result: e.result } : {}),
        at: now.toISOString(),
      },
      now,
    );
  }

  /** Applied on a test version of the application (again, with a new build, while not yet validated). */
  async test(cmd: TestAdvisoryCommand, now = new Date()): Promise<AdvisoryView> {
    const a = await this.advisories.get(cmd.id);
    assertStep('test', a.stage, a._id);
    const e = evidenceOf('applied', cmd, now);
    return toAdvisoryView(
      await this.advisories.write(a, { $set: { stage: 'applied', updatedAt: now }, $push: { evidence: e, outbox: this.stageChanged(a, 'applied', e, now) } }),
    );
  }

  /** Validated on the test version; a failed validation sends it back to draft, with its evidence kept. */
  async validate(cmd: ValidateAdvisoryCommand, now = new Date()): Promise<AdvisoryView> {
    const a = await this.advisories.get(cmd.id);
    assertStep('validate', a.stage, a._id);
    const result = cmd.result ?? 'passed';
    const last = [...a.evidence].reverse().find((x) => x.stage === 'applied');
    const e = evidenceOf('validated', { environment: last?.environment, version: last?.version, ...cmd }, now, { result });
    const to: AdvisoryStage = result === 'passed' ? 'validated' : 'draft';
    return toAdvisoryView(await this.advisories.write(a, { $set: { stage: to, updatedAt: now }, $push: { evidence: e, outbox: this.stageChanged(a, to, e, now) } }));
  }

  /** Distributed to customers: only once validated. Notifies the affected accounts. */
  async release(cmd: ReleaseAdvisoryCommand, now = new Date()): Promise<AdvisoryView> {
    const a = await this.advisories.get(cmd.id);
    assertStep('release', a.stage, a._id);
    const e = evidenceOf('released', cmd, now);
    const components = a.affects.map((x) => x.component);
    return toAdvisoryView(
      await this.advisories.write(a, {
        $set: { stage: 'released', releasedAt: now, releasedVersion: cmd.version, updatedAt: now },
        $push: {
          evidence: e,
          outbox: {
            $each: [
              this.stageChanged(a, 'released', e, now),
              outboxEvent(Events.AdvisoryReleased, { advisoryId: a._id, kind: a.kind, severity: a.severity, title: a.title, components, version: cmd.version, at: now.toISOString() }, now),
            ],
          },
        },
      }),
    );
  }

  /** Tells affected customers now (security: with the workaround), before the patch is released. */
  async announce(cmd: AnnounceAdvisoryCommand, now = new Date()): Promise<AdvisoryView> {
    const a = await this.advisories.get(cmd.id);
    assertStep('announce', a.stage, a._id);
    if (a.announcedAt) {
      throw new AppError('ADVISORY.ALREADY_ANNOUNCED', `Advisory ${a._id} was announced at ${a.announcedAt.toISOString()}`);
    }
    return toAdvisoryView(
      await this.advisories.write(a, {
        $set: { announcedAt: now, updatedAt: now },
        $push: {
          evidence: { stage: 'announced', by: cmd.by ?? 'system', at: now.toISOString() },
          outbox: outboxEvent(Events.AdvisoryAnnounced, { advisoryId: a._id, kind: a.kind, severity: a.severity, title: a.title, components: a.affects.map((x) => x.component), at: now.toISOString() }, now),
        },
      }),
    );
  }
}
