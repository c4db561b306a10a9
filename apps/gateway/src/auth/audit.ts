import { AuditRecordView, ListAuditQuery, Page } from '@sladesk/contracts';
import { currentContext } from '@sladesk/messaging';
import { decodeCursor, encodeCursor } from '@sladesk/persistence';
import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { InjectModel, Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { FastifyReply, FastifyRequest } from 'fastify';
import mongoose, { Model } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { from, Observable, switchMap } from 'rxjs';
import { AppError } from '@sladesk/contracts';
import { principalOf } from './principal';

/**
 * One record per mutation that reached the gateway: who (key id or token subject), from where, what
 * (method, route, path), and how it ended. `_id` is the instant plus randomness, so the log reads
 * newest first by `_id` alone and records from several instances never collide.
 */
@Schema({ collection: 'gateway_audit', versionKey: false })
export class AuditRecord {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) at!: Date;
  @Prop({ required: true, index: true }) actor!: string;
  @Prop({ type: [String], default: [] }) roles!: string[];
  @Prop() accountId?: string;
  @Prop({ required: true }) ip!: string;
  @Prop() userAgent?: string;
  @Prop({ required: true }) method!: string;
  @Prop({ required: true }) route!: string;
  @Prop({ required: true }) path!: string;
  @Prop() correlationId?: string;
  @Prop() status?: number;
  @Prop() code?: string;
  @Prop() durationMs?: number;
}
export const AuditRecordSchema = SchemaFactory.createForClass(AuditRecord);

const AUDIT_ID = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z-[0-9a-f]{8}$/;
const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const isMutation = (method: string): boolean => MUTATIONS.has(method.toUpperCase());

type Audited = FastifyRequest & { auditId?: string };
/** Set by the error filters so the audit knows the code of a refusal. */
export type WithErrorCode = FastifyReply & { sladeskErrorCode?: string };

const toView = (r: AuditRecord): AuditRecordView => ({
  id: r._id,
  at: r.at.toISOString(),
  actor: r.actor,
  roles: r.roles ?? [],
  ...(r.accountId ? { accountId: r.accountId } : {}),
  ip: r.ip,
  ...(r.userAgent ? { userAgent: r.userAgent } : {}),
  method: r.method,
  route: r.route,
  path: r.path,
  ...(r.correlationId ? { correlationId: r.correlationId } : {}),
  ...(r.status !== undefined ? { status: r.status } : {}),
  ...(r.code ? { code: r.code } : {}),
  ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
});

@Injectable()
export class AuditLog {
  private readonly logger = new Logger('Audit');

  constructor(@InjectModel(AuditRecord.name) private readonly model: Model<AuditRecord>) {}

  private describe(req: FastifyRequest, at: Date): AuditRecord {
    const p = principalOf(req);
    const ua = req.headers['user-agent'];
    return {
      _id: `${at.toISOString()}-${randomBytes(4).toString('hex')}`,
      at,
      actor: p?.id ?? 'anonymous',
      roles: p?.roles ?? [],
      ...(p?.accountId ? { accountId: p.accountId } : {}),
      ip: req.ip,
      ...(typeof ua === 'string' ? { userAgent: ua.slice(0, 200) } : {}),
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      path: req.url.split('?')[0].slice(0, 500),
      ...(currentContext()?.correlationId ? { correlationId: currentContext()!.correlationId } : {}),
    };
  }

  /** Before a mutation is forwarded: the record exists, or the mutation does not happen. */
  async intent(req: Audited): Promise<void> {
    const record = this.describe(req, new Date());
    try {
      await this.model.create(record);
    } catch (e) {
      throw new AppError('SERVICE.UNAVAILABLE', `The audit log cannot be written, so nothing was changed: ${(e as Error).message}`);
    }
    req.auditId = record._id;
  }

  /** How it ended; for a mutation refused before it was forwarded (401, 403, 400), the whole record. */
  async outcome(req: Audited, reply: WithErrorCode): Promise<void> {
    const done = { status: reply.statusCode, ...(reply.sladeskErrorCode ? { code: reply.sladeskErrorCode } : {}), durationMs: Math.round(reply.elapsedTime) };
    try {
      if (req.auditId) await this.model.updateOne({ _id: req.auditId }, { $set: done });
      else if (isMutation(req.method) && reply.statusCode !== 429) await this.model.create({ ...this.describe(req, new Date()), ...done });
    } catch (e) {
      this.logger.error(`audit outcome of ${req.method} ${req.url.split('?')[0]} not written: ${(e as Error).message}`);
    }
  }

  async list(q: ListAuditQuery): Promise<Page<AuditRecordView>> {
    const limit = q.limit ?? 50;
    const id: Record<string, string> = {};
    if (q.cursor) id.$lt = decodeCursor(q.cursor, AUDIT_ID);
    if (q.to) id.$lt = id.$lt && id.$lt < new Date(q.to).toISOString() ? id.$lt : new Date(q.to).toISOString();
    if (q.from) id.$gte = new Date(q.from).toISOString();
    const filter = { ...(Object.keys(id).length ? { _id: mongoose.trusted(id) } : {}), ...(q.actor ? { actor: q.actor } : {}) };
    const rows = await this.model.find(filter).sort({ _id: -1 }).limit(limit + 1).lean<AuditRecord[]>();
    const items = rows.slice(0, limit).map(toView);
    return rows.length > limit ? { items, nextCursor: encodeCursor(items[items.length - 1].id) } : { items };
  }
}

/** Records the intent of every mutation that passed the guards, before the controller forwards it. */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditLog) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Audited>();
    if (!isMutation(req.method)) return next.handle();
    return from(this.audit.intent(req)).pipe(switchMap(() => next.handle()));
  }
}
