import { healthController, loggerModule, MessagingModule, mongoHealthCheck, mongoModule, OutboxRelay, ServiceRuntime } from '@sladesk/messaging';
import { OutboundModule } from '@sladesk/outbound';
import { DynamicModule, Inject, Module, OnModuleInit } from '@nestjs/common';
import { getModelToken, MongooseModule } from '@nestjs/mongoose';
import { Model, Schema } from 'mongoose';
import { CaseEventsMessageController } from './cases/case-events.message.controller';
import { CaseProjection } from './cases/case-projection.service';
import { CaseState, CaseStateSchema } from './cases/case-state.schema';
import { EscalationRulesService } from './cases/escalation-rules.service';
import { SupportCalendars } from './cases/support-calendars';
import { UnresolvedClock } from './cases/unresolved-clock';
import { EscalationEnv, outboundSettings } from './config';
import { DirAccount, DirAccountSchema, DirStaff, DirStaffSchema } from './directory/directory.schema';
import { DirectoryService } from './directory/directory.service';
import { ErasureMessageController } from './erasure/erasure.message.controller';
import { EscErasure, EscErasureSchema } from './erasure/erasure.schema';
import { EraseContactService } from './erasure/erase-contact.service';
import { Escalation, EscalationSchema } from './escalations/escalation.schema';
import { EscalationService } from './escalations/escalation.service';
import { EscalationsMessageController } from './escalations/escalations.message.controller';
import { RoutingService } from './escalations/routing.service';
import { Incident, IncidentSchema } from './incidents/incident.schema';
import { DUE_BUCKETS, DueIndexes, EscDueBucketSchema } from './keyed/due-indexes';
import { ID_SETS, IdSets, IdSetSchema } from './keyed/id-sets';
import { LoadSets } from './keyed/load-sets';
import { RepairService } from './keyed/repair.service';
import { IncidentService } from './incidents/incident.service';
import { IncidentsMessageController } from './incidents/incidents.message.controller';
import { LegacyNotification, LegacyNotificationSchema } from './notifications/legacy-notification.schema';
import { LegacyNotifications } from './notifications/legacy-notifications';
import { NotificationService } from './notifications/notification.service';
import { EscalationPolicy, EscalationPolicySchema } from './policies/policy.schema';
import { PolicyService } from './policies/policy.service';
import { TickerService } from './ticker.service';

const CounterSchema = new Schema({ _id: String, n: Number }, { collection: 'esc_counters', versionKey: false });

@Module({})
export class EscalationModule implements OnModuleInit {
  constructor(
    private readonly relay: OutboxRelay,
    @Inject('OUTBOX_MODELS') private readonly outboxModels: Model<never>[],
  ) {}

  static forRoot(runtime: ServiceRuntime, config: EscalationEnv): DynamicModule {
    return {
      module: EscalationModule,
      imports: [
        MessagingModule.forRuntime(runtime),
        loggerModule('escalation', config.LOG_LEVEL),
        mongoModule(config),
        OutboundModule.forRoot(outboundSettings(config)),
        MongooseModule.forFeature([
          { name: DirAccount.name, schema: DirAccountSchema },
          { name: DirStaff.name, schema: DirStaffSchema },
          { name: CaseState.name, schema: CaseStateSchema },
          { name: EscalationPolicy.name, schema: EscalationPolicySchema },
          { name: Escalation.name, schema: EscalationSchema },
          { name: LegacyNotification.name, schema: LegacyNotificationSchema },
          { name: Incident.name, schema: IncidentSchema },
          { name: 'RoundRobin', schema: CounterSchema },
          { name: ID_SETS, schema: IdSetSchema },
          { name: DUE_BUCKETS, schema: EscDueBucketSchema },
          { name: EscErasure.name, schema: EscErasureSchema },
        ]),
      ],
      controllers: [healthController('escalation'), CaseEventsMessageController, EscalationsMessageController, IncidentsMessageController, ErasureMessageController],
      providers: [
        mongoHealthCheck,
        { provide: EscalationEnv, useValue: config },
        {
          provide: 'OUTBOX_MODELS',
          inject: [getModelToken(Escalation.name), getModelToken(LegacyNotification.name), getModelToken(Incident.name)],
          useFactory: (...models: Model<never>[]) => models,
        },
        IdSets,
        LoadSets,
        DueIndexes,
        DirectoryService,
        PolicyService,
        SupportCalendars,
        UnresolvedClock,
        CaseProjection,
        RoutingService,
        NotificationService,
        LegacyNotifications,
        EscalationService,
        EscalationRulesService,
        IncidentService,
        RepairService,
        TickerService,
        EraseContactService,
      ],
    };
  }

  onModuleInit(): void {
    for (const model of this.outboxModels) this.relay.register(model);
  }
}
