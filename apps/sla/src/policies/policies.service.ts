import { isBusinessTimeError, parseIsoDuration } from '@sladesk/business-time';
import {
  AppError,
  CreateSlaPolicyRequest,
  ListSlaPoliciesQuery,
  SEVERITIES,
  SLA_GOAL_KEYS,
  SlaGoalTable,
  SlaPolicyBody,
  SlaPolicyView,
  UpdateSlaPolicyCommand,
} from '@sladesk/contracts';
import { mongo } from 'mongoose';
import { v7 as uuidv7 } from 'uuid';
import { RecomputeService } from '../recompute/recompute.service';
import { isDuplicate } from '../storage';
import { DEFAULT_CALENDAR_ID, DEFAULT_GOALS, DEFAULT_PAUSE_STATUSES, DEFAULT_POLICY_ID, EMERGENCY_CALENDAR_ID } from './default-contract';
import { PolicyDoc, SlaRegistry, slaCollections } from './sla-registry';

type PolicyFields = Pick<PolicyDoc, 'name' | 'calendarId' | 'emergencyCalendarId' | 'warningThreshold' | 'pauseStatuses' | 'goals'>;

/**
 * SLA policies: the default contract (`default`, applies to every account without its own) and one
 * optional policy per account. Versioned like calendars; a new version recomputes the open cases it covers.
 */
export class PoliciesService {
  private readonly c: ReturnType<typeof slaCollections>;

  constructor(
    db: mongo.Db,
    private readonly registry: SlaRegistry,
    private readonly recompute: RecomputeService,
    private readonly defaultThreshold: number,
  ) {
    this.c = slaCollections(db);
  }

  async create(req: CreateSlaPolicyRequest, options: { isDefault?: boolean; quiet?: boolean } = {}): Promise<SlaPolicyView> {
    const isDefault = options.isDefault ?? false;
    if (!isDefault && !req.accountId) {
      throw new AppError(
        'SLA_POLICY.INVALID',
        `a policy applies to the account it names: give accountId (every other account uses the policy "${DEFAULT_POLICY_ID}", which PUT changes)`,
      );
    }
    const fields = await this.fields(req);
    const id = req.id ?? (isDefault ? DEFAULT_POLICY_ID : uuidv7());
    const now = new Date();
    const doc: PolicyDoc = { _id: id, version: 1, isDefault, ...(req.accountId ? { accountId: req.accountId } : {}), ...fields, createdAt: now, updatedAt: now };
    if (req.accountId) {
      try {
        await this.c.policyAccounts.insertOne({ _id: req.accountId, policyId: id });
      } catch (e) {
        if (!isDuplicate(e)) throw e;
        const bound = await this.c.policyAccounts.findOne({ _id: req.accountId });
        if (bound?.policyId !== id) throw new AppError('SLA_POLICY.ACCOUNT_HAS_POLICY', `account ${req.accountId} already has policy ${bound?.policyId}`);
      }
    }
    try {
      const { _id, ...rest } = doc;
      await this.c.policyVersions.insertOne({ ...rest, _id: `${_id}:1`, policyId: _id });
    } catch (e) {
      if (!isDuplicate(e)) throw e;
      if (await this.c.policies.findOne({ _id: id }, { projection: { _id: 1 } })) {
        if (req.accountId) await this.c.policyAccounts.deleteOne({ _id: req.accountId, policyId: id }).catch(() => undefined);
        throw new AppError('SLA_POLICY.ALREADY_EXISTS', `policy ${id} already exists`);
      }
      // a create that stopped between its writes: finish it
    }
    await this.c.policies.insertOne(doc).catch((e) => {
      if (!isDuplicate(e)) throw e;
    });
    if (!options.quiet) {
      await this.registry.changed();
      if (req.accountId) await this.recompute.forAccounts([req.accountId], `policy ${id} v1`);
    }
    return view(doc);
  }

  async list(q: ListSlaPoliciesQuery): Promise<SlaPolicyView[]> {
    const docs = await this.c.policies.find({}).toArray();
    return docs
      .filter((d) => !q.accountId || d.accountId === q.accountId)
      .sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.createdAt.getTime() - b.createdAt.getTime())
      .map(view);
  }

  async get(id: string): Promise<SlaPolicyView> {
    return view(await this.load(id));
  }

  async update(cmd: UpdateSlaPolicyCommand): Promise<SlaPolicyView> {
    const head = await this.load(cmd.id);
    if (cmd.expectedVersion !== undefined && cmd.expectedVersion !== head.version) {
      throw new AppError('SLA.VERSION_CONFLICT', `policy ${cmd.id} is at version ${head.version}, not ${cmd.expectedVersion}`);
    }
    const fields = await this.fields(cmd);
    const version = head.version + 1;
    const now = new Date();
    const next: PolicyDoc = { ...head, ...fields, version, updatedAt: now };
    try {
      const { _id, ...rest } = next;
      await this.c.policyVersions.insertOne({ ...rest, _id: `${_id}:${version}`, policyId: _id });
    } catch (e) {
      if (isDuplicate(e)) throw new AppError('SLA.VERSION_CONFLICT', `policy ${cmd.id} was changed concurrently; read it and retry`);
      throw e;
    }
    await this.c.policies.updateOne({ _id: cmd.id }, { $set: { ...fields, version, updatedAt: now } });
    await this.registry.changed();
    const reason = `policy ${cmd.id} v${version}`;
    if (head.accountId) await this.recompute.forAccounts([head.accountId], reason);
    else if (head.isDefault) await this.recompute.forAccountsWithoutOwnPolicy(reason);
    return view(next);
  }

  private async load(id: string): Promise<PolicyDoc> {
    const doc = await this.c.policies.findOne({ _id: id });
    if (!doc) throw new AppError('SLA_POLICY.NOT_FOUND', `SLA policy ${id} not found`);
    return doc;
  }

  /** Validates a body and fills what it leaves out from the default contract. */
  private async fields(body: SlaPolicyBody): Promise<PolicyFields> {
    const calendarId = body.calendarId ?? DEFAULT_CALENDAR_ID;
    const emergencyCalendarId = body.emergencyCalendarId ?? EMERGENCY_CALENDAR_ID;
    for (const id of new Set([calendarId, emergencyCalendarId])) {
      if (!(await this.c.calendars.findOne({ _id: id }, { projection: { _id: 1 } }))) {
        throw new AppError('CALENDAR.NOT_FOUND', `calendar ${id} not found`);
      }
    }
    const goals = JSON.parse(JSON.stringify(DEFAULT_GOALS)) as SlaGoalTable;
    for (const severity of SEVERITIES) {
      for (const key of SLA_GOAL_KEYS) {
        const given = body.goals?.[severity]?.[key];
        if (!given) continue;
        const merged = { ...goals[severity][key], ...given };
        try {
          if (parseIsoDuration(merged.duration) <= 0) throw new Error('zero');
        } catch (e) {
          const why = isBusinessTimeError(e) ? e.message : 'a goal must be longer than zero';
          throw new AppError('SLA_POLICY.INVALID', `goals.${severity}.${key}.duration: ${why}`, [{ path: `goals.${severity}.${key}.duration`, problems: [why] }]);
        }
        goals[severity][key] = { duration: merged.duration, from: merged.from, hours: merged.hours };
      }
    }
    return {
      name: body.name,
      calendarId,
      emergencyCalendarId,
      warningThreshold: body.warningThreshold ?? this.defaultThreshold,
      pauseStatuses: body.pauseStatuses ?? DEFAULT_PAUSE_STATUSES,
      goals,
    };
  }
}

function view(d: PolicyDoc): SlaPolicyView {
  return {
    id: d._id,
    name: d.name,
    version: d.version,
    ...(d.accountId ? { accountId: d.accountId } : {}),
    isDefault: d.isDefault,
    calendarId: d.calendarId,
    emergencyCalendarId: d.emergencyCalendarId,
    warningThreshold: d.warningThreshold,
    pauseStatuses: d.pauseStatuses,
    goals: d.goals,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}
