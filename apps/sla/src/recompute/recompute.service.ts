import { Logger } from '@nestjs/common';
import { mongo } from 'mongoose';
import { v7 as uuidv7 } from 'uuid';
import { CaseIndex } from '../clocks/case-index';
import { SlaRegistry } from '../policies/sla-registry';

interface JobDoc {
  _id: string;
  reason: string;
  /** The accounts whose open cases to re-time, or every account without its own policy. */
  accounts?: string[];
  withoutOwnPolicy?: boolean;
  /** Other instances see a change within their registry refresh: start after it. */
  notBefore: Date;
  createdAt: Date;
  owner?: string;
  leaseUntil?: Date;
}

export interface Recomputer {
  recompute(caseId: string, jobId: string): Promise<boolean>;
}

/**
 * Re-times the open cases a policy or calendar change concerns, as durable jobs: a job is a document
 * until every case it covers was re-timed, so a crash in the middle resumes (re-timing a case twice for
 * the same job is a no-op: the history entry has the job's id).
 */
export class RecomputeService {
  private readonly logger = new Logger(RecomputeService.name);
  private readonly jobs: mongo.Collection<JobDoc>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private recomputer?: Recomputer;

  constructor(
    db: mongo.Db,
    private readonly index: CaseIndex,
    private readonly registry: SlaRegistry,
    private readonly owner: string,
    private readonly delayMs: number,
  ) {
    this.jobs = db.collection<JobDoc>('sla_recompute_jobs');
  }

  forAccounts(accounts: string[], reason: string): Promise<void> {
    return this.enqueue({ accounts, reason });
  }

  forAccountsWithoutOwnPolicy(reason: string): Promise<void> {
    return this.enqueue({ withoutOwnPolicy: true, reason });
  }

  /** Every account whose policy (or the default, for accounts without their own) uses the calendar. */
  async forCalendar(calendarId: string, reason: string): Promise<void> {
    const using = [...this.registry.policies.values()].filter((p) => p.calendarId === calendarId || p.emergencyCalendarId === calendarId);
    const accounts = using.filter((p) => p.accountId).map((p) => p.accountId!);
    if (accounts.length) await this.forAccounts(accounts, reason);
    if (using.some((p) => p.isDefault)) await this.forAccountsWithoutOwnPolicy(reason);
  }

  start(recomputer: Recomputer, pollMs: number): void {
    this.recomputer = recomputer;
    const loop = () => {
      this.timer = setTimeout(() => {
        this.running = this.runDue()
          .then(() => undefined)
          .catch((e) => this.logger.warn(`recompute pass failed, will retry: ${(e as Error).message}`))
          .finally(loop);
      }, pollMs);
    };
    loop();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.running;
  }

  private async enqueue(job: Pick<JobDoc, 'accounts' | 'withoutOwnPolicy' | 'reason'>): Promise<void> {
    const now = Date.now();
    await this.jobs.insertOne({ _id: uuidv7(), ...job, notBefore: new Date(now + this.delayMs), createdAt: new Date(now) });
  }

  /** Runs the jobs that are due and not leased by a live instance. The collection only holds unfinished jobs. */
  async runDue(): Promise<number> {
    let cases = 0;
    for (const job of await this.jobs.find({}).toArray()) {
      const now = Date.now();
      if (job.notBefore.getTime() > now) continue;
      if (job.owner && job.owner !== this.owner && (job.leaseUntil?.getTime() ?? 0) > now) continue;
      // Best effort: if two instances run one job, each case is still re-timed once (idempotent by job id).
      await this.jobs.updateOne({ _id: job._id }, { $set: { owner: this.owner, leaseUntil: new Date(now + 60_000) } });
      cases += await this.run(job);
      await this.jobs.deleteOne({ _id: job._id });
    }
    return cases;
  }

  private async run(job: JobDoc): Promise<number> {
    let n = 0;
    let lastRenew = Date.now();
    const accounts: string[] = job.accounts ?? [];
    if (job.withoutOwnPolicy) {
      for await (const a of this.index.accounts()) if (!this.registry.hasOwnPolicy(a)) accounts.push(a);
    }
    for (const account of accounts) {
      for await (const caseId of this.index.cases(account)) {
        if (await this.recomputer!.recompute(caseId, job._id)) n++;
        if (Date.now() - lastRenew > 20_000) {
          lastRenew = Date.now();
          await this.jobs.updateOne({ _id: job._id }, { $set: { leaseUntil: new Date(lastRenew + 60_000) } });
        }
      }
    }
    this.logger.log(`re-timed ${n} open case(s) after ${job.reason}`);
    return n;
  }
}
