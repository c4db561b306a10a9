import { AppError, ComponentView, CreateComponentRequest, ListComponentsQuery, UpdateComponentCommand } from '@sladesk/contracts';
import { decodeCursor, pageOf } from '@sladesk/persistence';
import { mongo } from 'mongoose';
import { isDuplicate } from '../storage';
import { ComponentDoc, normalizeComponent, toComponentView } from './components';

interface DependentsDoc {
  _id: string;
  /** Components with an objective that counts this component's incidents (`countsFrom`). */
  targets: string[];
}

/**
 * Components and their objectives (`avail_components`, `_id` = component id), plus, per component,
 * the components whose objectives count its incidents (`avail_dependents`, `_id` = source component):
 * what an incident event needs is two `_id` reads.
 */
export class ComponentsService {
  readonly col: mongo.Collection<ComponentDoc>;
  private readonly dependents: mongo.Collection<DependentsDoc>;
  private readonly cache = new Map<string, { doc: ComponentDoc | null; at: number }>();

  constructor(
    db: mongo.Db,
    /** Told of every change (the ledger re-reads months with the new objectives, probes restart). */
    private readonly changed: (c: ComponentDoc) => void = () => undefined,
    private readonly cacheMs = 1000,
  ) {
    this.col = db.collection<ComponentDoc>('avail_components');
    this.dependents = db.collection<DependentsDoc>('avail_dependents');
  }

  async create(req: CreateComponentRequest, options: { builtin?: boolean } = {}, now = new Date()): Promise<ComponentView> {
    const fields = normalizeComponent(req);
    const doc: ComponentDoc = { _id: req.id, ...fields, builtin: options.builtin ?? false, version: 1, createdAt: now, updatedAt: now };
    await this.linkDependents(doc);
    try {
      await this.col.insertOne(doc);
    } catch (e) {
      if (isDuplicate(e)) throw new AppError('COMPONENT.ALREADY_EXISTS', `Component ${req.id} already exists`);
      throw e;
    }
    this.cache.delete(doc._id);
    this.changed(doc);
    return toComponentView(doc);
  }

  /** A new version: objectives, accounts and probes replaced (months are recomputed with them when next read or written). */
  async update(cmd: UpdateComponentCommand, now = new Date()): Promise<ComponentView> {
    const current = await this.col.findOne({ _id: cmd.id });
    if (!current) throw new AppError('COMPONENT.NOT_FOUND', `Component ${cmd.id} does not exist`);
    if (cmd.expectedVersion !== undefined && cmd.expectedVersion !== current.version) {
      throw new AppError('SLA.VERSION_CONFLICT', `Component ${cmd.id} is at version ${current.version}`, { version: current.version });
    }
    const fields = normalizeComponent(cmd);
    const next: ComponentDoc = { ...current, ...fields, version: current.version + 1, updatedAt: now };
    await this.linkDependents(next);
    const r = await this.col.replaceOne({ _id: cmd.id, version: current.version }, next);
    if (r.matchedCount === 0) throw new AppError('SLA.VERSION_CONFLICT', `Component ${cmd.id} changed meanwhile; read it again`);
    this.cache.delete(next._id);
    this.changed(next);
    return toComponentView(next);
  }

  /** Written before the component, so an incident of a source component seen right after is routed here too. */
  private async linkDependents(c: ComponentDoc): Promise<void> {
    const sources = new Set(c.objectives.flatMap((o) => o.countsFrom.map((r) => r.componentId)));
    for (const source of sources) {
      await this.dependents.updateOne({ _id: source }, { $addToSet: { targets: c._id } }, { upsert: true }).catch((e) => {
        if (!isDuplicate(e)) throw e;
        return this.dependents.updateOne({ _id: source }, { $addToSet: { targets: c._id } });
      });
    }
  }

  /** The components whose objectives may count incidents of `componentIds` (themselves excluded). */
  async dependentsOf(componentIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const docs = await Promise.all(componentIds.map((id) => this.dependents.findOne({ _id: id })));
    docs.forEach((d, i) => {
      for (const t of d?.targets ?? []) {
        if (componentIds.includes(t)) continue;
        const list = out.get(t) ?? [];
        list.push(componentIds[i]);
        out.set(t, list);
      }
    });
    return out;
  }

  /** A component, from a cache of `cacheMs` (changes made by this instance are seen at once), or `fresh` from the database. */
  async find(id: string, options: { fresh?: boolean } = {}): Promise<ComponentDoc | null> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && !options.fresh && now - hit.at < this.cacheMs) return hit.doc;
    const doc = await this.col.findOne({ _id: id });
    if (this.cache.size > 20_000) this.cache.clear();
    this.cache.set(id, { doc, at: now });
    return doc;
  }

  async get(id: string): Promise<ComponentDoc> {
    const doc = await this.find(id, { fresh: true });
    if (!doc) throw new AppError('COMPONENT.NOT_FOUND', `Component ${id} does not exist`);
    return doc;
  }

  async list(q: ListComponentsQuery): Promise<{ items: ComponentView[]; nextCursor?: string }> {
    const limit = q.limit ?? 50;
    const filter: mongo.Filter<ComponentDoc> = {};
    if (q.kind) filter.kind = q.kind;
    if (q.cursor) filter._id = { $gt: decodeCursor(q.cursor) };
    const rows = await this.col.find(filter).sort({ _id: 1 }).limit(limit + 1).toArray();
    return pageOf(rows, limit, toComponentView);
  }

  /** Every component (the monthly report and the probes; a few thousand small documents at most). */
  all(): Promise<ComponentDoc[]> {
    return this.col.find({}).sort({ _id: 1 }).toArray();
  }
}
