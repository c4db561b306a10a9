import { AdvisoryView, AppError, CreateAdvisoryCommand, Events } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import semver from 'semver';
import { v7 as uuidv7 } from 'uuid';
import { AdvisoryRepository } from '../advisory.repository';
import { Advisory, toAdvisoryView } from '../advisory.schema';

const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('base64url');

/**
 * Opens an advisory in draft. A security patch is announced to the affected customers at once (with
 * its workaround) unless `announce: false`; other kinds are told at release.
 */
@Injectable()
export class CreateAdvisoryService {
  constructor(private readonly advisories: AdvisoryRepository) {}

  async execute(cmd: CreateAdvisoryCommand, now = new Date()): Promise<AdvisoryView> {
    const { idempotencyKey, ...body } = cmd;
    for (const [i, a] of cmd.affects.entries()) {
      if (!semver.validRange(a.versions)) throw new AppError('ADVISORY.INVALID_VERSION_RANGE', `affects[${i}].versions is not a semver range: ${a.versions}`, { path: `affects.${i}.versions` });
      if (a.fixedIn && !semver.valid(a.fixedIn)) throw new AppError('ADVISORY.INVALID_VERSION_RANGE', `affects[${i}].fixedIn is not a semver version: ${a.fixedIn}`, { path: `affects.${i}.fixedIn` });
      if (a.fixedIn && semver.satisfies(a.fixedIn, a.versions)) throw new AppError('ADVISORY.INVALID_VERSION_RANGE', `affects[${i}]: the fixed version ${a.fixedIn} is inside the affected range ${a.versions}`, { path: `affects.${i}.fixedIn` });
    }
    const announce = cmd.announce ?? cmd.kind === 'security_patch';
    const id = idempotencyKey ? `adv_${hash(['key', idempotencyKey]).slice(0, 24)}` : `adv_${uuidv7()}`;
    const requestHash = hash(body);
    const components = cmd.affects.map((a) => a.component);
    const doc: Omit<Advisory, 'outbox'> = {
      _id: id,
      kind: cmd.kind,
      severity: cmd.severity,
      title: cmd.title,
      summary: cmd.summary,
      affects: cmd.affects.map((a) => ({ component: a.component, versions: a.versions, ...(a.fixedIn ? { fixedIn: a.fixedIn } : {}) })),
      ...(cmd.workaround ? { workaround: cmd.workaround } : {}),
      cves: cmd.cves ?? [],
      links: cmd.links ?? [],
      stage: 'draft',
      ...(announce ? { announcedAt: now } : {}),
      evidence: [
        { stage: 'draft', by: cmd.by ?? 'system', at: now.toISOString() },
        ...(announce ? [{ stage: 'announced' as const, by: cmd.by ?? 'system', at: now.toISOString() }] : []),
      ],
      version: 1,
      requestHash,
      createdAt: now,
      updatedAt: now,
    };
    const events = announce
      ? [outboxEvent(Events.AdvisoryAnnounced, { advisoryId: id, kind: cmd.kind, severity: cmd.severity, title: cmd.title, components, at: now.toISOString() }, now)]
      : [];
    try {
      await this.advisories.model.create({ ...doc, outbox: events });
      if (events.length) this.advisories.relay.published(this.advisories.model, id);
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      const earlier = await this.advisories.get(id);
      if (earlier.requestHash !== requestHash) throw new AppError('IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was already used for a different request');
      return toAdvisoryView(earlier);
    }
    return toAdvisoryView(await this.advisories.get(id));
  }
}
