import { ADVISORY_KINDS, NoticeKind, WindowReminderPayload } from '@sladesk/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { AdvisoryRepository } from '../../advisories/advisory.repository';
import { durationMs } from '../../common/durations';
import { ReminderStore } from '../../reminders/reminder.store';
import { WindowRepository } from '../../windows/window.repository';
import { NoticeFanout } from '../notice-fanout';

const KIND_LABELS: Record<(typeof ADVISORY_KINDS)[number], string> = {
  security_patch: 'Security patch',
  update: 'Update',
  upgrade: 'Upgrade',
  release: 'Release',
  documentation: 'Documentation update',
};

function offsetText(offset: string): string {
  const seconds = Math.round(durationMs(offset) / 1000);
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.round(seconds / 60);
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} minutes`;
}

/** Builds the notice of a change (what the templates need) from the window or advisory it is about. */
@Injectable()
export class NoticeTriggers {
  private readonly logger = new Logger(NoticeTriggers.name);

  constructor(
    private readonly windows: WindowRepository,
    private readonly advisories: AdvisoryRepository,
    private readonly reminders: ReminderStore,
    private readonly fanout: NoticeFanout,
  ) {}

  async window(kind: NoticeKind, windowId: string, discriminator: string, payload: object): Promise<void> {
    const w = await this.windows.findById(windowId);
    if (!w) return this.logger.warn(`${kind} of unknown window ${windowId}: no notice`);
    // The durable path of reminder planning: a crash between a window's write and its reminders is healed here.
    if (kind === 'window.scheduled' || kind === 'window.rescheduled') {
      if (w.state === 'scheduled') await this.reminders.plan(w);
    }
    const note = [...w.history].reverse().find((h) => h.action === kind.slice('window.'.length))?.note;
    await this.fanout.create({
      id: `ntc:${windowId}:${kind.slice('window.'.length)}:${discriminator}`,
      kind,
      security: false,
      windowId,
      components: w.components,
      audience: w.audience,
      data: {
        title: w.title,
        description: w.description,
        components: w.components,
        impact: w.impact,
        plannedStart: w.plannedStart.toISOString(),
        plannedEnd: w.plannedEnd.toISOString(),
        ...(w.actualStart ? { actualStart: w.actualStart.toISOString() } : {}),
        ...(w.actualEnd ? { actualEnd: w.actualEnd.toISOString() } : {}),
        ...(note ? { reason: note } : {}),
        ...payload,
      },
    });
  }

  async reminder(p: WindowReminderPayload): Promise<void> {
    const w = await this.windows.findById(p.windowId);
    if (!w) return;
    await this.fanout.create({
      id: `ntc:${p.reminderId}`,
      kind: 'window.reminder',
      security: false,
      windowId: w._id,
      components: w.components,
      audience: w.audience,
      data: {
        title: w.title,
        description: w.description,
        components: w.components,
        impact: w.impact,
        plannedStart: p.plannedStart,
        plannedEnd: w.plannedEnd.toISOString(),
        offset: p.offset,
        offsetText: offsetText(p.offset),
      },
    });
  }

  async advisory(kind: 'advisory.announced' | 'advisory.released', advisoryId: string): Promise<void> {
    const a = await this.advisories.findById(advisoryId);
    if (!a) return this.logger.warn(`${kind} of unknown advisory ${advisoryId}: no notice`);
    const validated = [...a.evidence].reverse().find((e) => e.stage === 'validated');
    await this.fanout.create({
      id: `ntc:${advisoryId}:${kind.slice('advisory.'.length)}`,
      kind,
      security: a.kind === 'security_patch',
      advisoryId,
      components: a.affects.map((x) => x.component),
      // Affected customers: the accounts subscribed to an affected component.
      audience: 'subscribers',
      data: {
        title: a.title,
        summary: a.summary,
        kindLabel: KIND_LABELS[a.kind],
        severity: a.severity,
        affects: a.affects,
        cves: a.cves,
        links: a.links,
        ...(a.workaround ? { workaround: a.workaround } : {}),
        ...(a.releasedVersion ? { version: a.releasedVersion } : {}),
        validatedOn: validated ? `${validated.environment ?? 'the test environment'}${validated.version ? ` (version ${validated.version})` : ''}` : 'the test environment',
      },
    });
  }
}
