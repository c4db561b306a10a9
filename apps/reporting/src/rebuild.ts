import 'reflect-metadata';
import { envelopeProblem, EventEnvelope, EventPayloadClasses, Events, Streams, validatePlain } from '@sladesk/contracts';
import { loadConfig, mongoModule, NatsBus } from '@sladesk/messaging';
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getConnectionToken } from '@nestjs/mongoose';
import { Connection, mongo } from 'mongoose';
import { modelsModule, READ_MODEL_PROVIDERS } from './app.module';
import { CaseCountsService } from './case-counts/case-counts.service';
import { ReportingEnv } from './config';
import { Projector } from './read-models/projector.service';
import { READ_MODEL_COLLECTIONS } from './read-models/read-model.schemas';
import { RECORD_PACK_COLLECTIONS } from './record-packs/record-packs.schema';
import { RecordPacks } from './record-packs/record-packs.service';
import { CaseDoc } from './reports/support-record-rows';

// Rebuilds every read model of the reports from the event stream:
//   node dist/apps/reporting/src/rebuild.js        (NATS_URL and MONGO_URL as for the service)
// The read-model collections are emptied, then every event still in JetStream (SLADESK_EVENTS keeps
// 30 days by default) is replayed through the projector the live service uses, events of one case in
// order and different cases in parallel. The service may keep running: what it applies meanwhile is
// applied again idempotently. Reports are incomplete until the rebuild ends.
//
//   node dist/apps/reporting/src/rebuild.js --packs
// Only the support record's packs and loose keys (src/record-packs), from the case documents in
// rm_cases, with the projection's own placement: after an upgrade from a version without packs, or a
// change of PACK_FORMAT. A scan of rm_cases; stop the reporting service meanwhile.

@Module({})
class RebuildModule {
  static forRoot(config: ReportingEnv): DynamicModule {
    return { module: RebuildModule, imports: [mongoModule(config), modelsModule()], providers: [...READ_MODEL_PROVIDERS, { provide: ReportingEnv, useValue: config }] };
  }
}

const LANES = 8;

/** Runs handlers with at most LANES in flight, in arrival order within one lane (a case, an escalation …). */
class Lanes {
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly active = new Set<Promise<void>>();
  failure?: Error;

  async add(key: string, run: () => Promise<void>): Promise<void> {
    while (this.active.size >= LANES) await Promise.race(this.active);
    const job: Promise<void> = (this.lanes.get(key) ?? Promise.resolve())
      .then(run)
      .catch((e) => void (this.failure ??= e as Error))
      .finally(() => {
        this.active.delete(job);
        if (this.lanes.get(key) === job) this.lanes.delete(key);
      });
    this.lanes.set(key, job);
    this.active.add(job);
  }

  async idle(): Promise<void> {
    await Promise.allSettled([...this.active]);
  }
}

const laneOf = (e: EventEnvelope): string => {
  const p = e.payload as Record<string, unknown>;
  for (const k of ['caseId', 'escalationId', 'notificationId', 'deliveryId', 'id']) if (typeof p[k] === 'string') return `${k}:${p[k]}`;
  return e.eventId;
};

/** Packs and loose keys again from rm_cases; each case document records its placement (guarded by `rev`). */
async function rebuildPacks(app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>, started: number): Promise<void> {
  const conn = app.get<Connection>(getConnectionToken());
  for (const name of RECORD_PACK_COLLECTIONS) await conn.db!.collection(name).deleteMany({});
  const builder = app.get(RecordPacks).builder();
  const cases = conn.db!.collection('rm_cases');
  let ops: mongo.AnyBulkWriteOperation[] = [];
  let n = 0;
  let changed = 0;
  const flush = async () => {
    if (ops.length) changed += (await cases.bulkWrite(ops, { ordered: false })).matchedCount;
    ops = [];
  };
  for await (const doc of cases.find({}, { projection: { applied: 0, pending: 0 } })) {
    const placement = await builder.add(doc as unknown as CaseDoc);
    const filter = { _id: doc._id, rev: doc.rev };
    ops.push({ updateOne: { filter, update: placement ? { $set: { derived: placement }, $inc: { rev: 1 } } : { $unset: { derived: '' }, $inc: { rev: 1 } } } });
    // At most 50 statements per update command: FerretDB 1.24 never answers one of 100 or more (measured: 99 answer).
    if (ops.length >= 50) await flush();
    if (++n % 10_000 === 0) console.log(`placed ${n} cases`);
  }
  await flush();
  await builder.finish();
  if (changed !== n) console.warn(`${n - changed} case documents changed meanwhile: run again with the reporting service stopped`);
  console.log(`rebuilt record packs from ${n} cases: ${builder.packsWritten} packs, ${builder.looseWritten} loose in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const config = loadConfig(ReportingEnv);
  const started = Date.now();
  const app = await NestFactory.createApplicationContext(RebuildModule.forRoot(config), { logger: ['error', 'warn'] });
  if (process.argv.includes('--packs')) {
    try {
      return await rebuildPacks(app, started);
    } finally {
      await app.close();
    }
  }
  const bus = await NatsBus.connect(config.NATS_URL, 'sladesk-reporting-rebuild');
  try {
    const conn = app.get<Connection>(getConnectionToken());
    for (const name of READ_MODEL_COLLECTIONS) await conn.db!.collection(name).deleteMany({});
    const projector = app.get(Projector);
    const counts = app.get(CaseCountsService);

    const info = await bus.jsm.streams.info(Streams.Events.name);
    const { first_seq: first, last_seq: last, messages } = info.state;
    console.log(`rebuilding read models from ${messages} events (stream ${Streams.Events.name} seq ${first}..${last})`);
    const lanes = new Lanes();
    let replayed = 0;
    let skipped = 0;
    let lastLog = Date.now();
    if (messages > 0) {
      const consumer = await bus.js.consumers.get(Streams.Events.name);
      const iter = await consumer.consume({ max_messages: 256 });
      for await (const m of iter) {
        let e: EventEnvelope | undefined;
        try {
          e = m.json<EventEnvelope>();
        } catch {
          e = undefined;
        }
        const cls = e && !envelopeProblem(e) ? (EventPayloadClasses as Record<string, (new () => object) | undefined>)[e.type] : undefined;
        const checked = e && cls ? validatePlain(cls, e.payload, { unknownFields: 'strip' }) : undefined;
        if (!e || envelopeProblem(e) || (checked && !checked.ok)) skipped++;
        else {
          const event: EventEnvelope = checked?.ok ? { ...e, payload: { ...checked.value } } : e;
          await lanes.add(laneOf(event), async () => {
            await projector.handle(event);
            if (event.type === Events.CaseOpened) await counts.onCaseOpened(event as never);
          });
          replayed++;
        }
        if (lanes.failure) throw lanes.failure;
        if (Date.now() - lastLog > 5000) {
          lastLog = Date.now();
          console.log(`replayed ${replayed} of ${messages} events`);
        }
        if (m.seq >= last) break;
      }
      iter.stop();
    }
    await lanes.idle();
    if (lanes.failure) throw lanes.failure;
    console.log(`rebuilt read models from ${replayed} events (${skipped} unreadable skipped) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await bus.close();
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`rebuild failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
