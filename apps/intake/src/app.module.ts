import {
  HEALTH_CHECKS,
  healthController,
  loggerModule,
  MessagingModule,
  mongoHealthCheck,
  mongoModule,
  OutboxRelay,
  ServiceRuntime,
} from '@sladesk/messaging';
import { OutboundModule } from '@sladesk/outbound';
import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { getConnectionToken, MongooseModule } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { AccountRepository } from './accounts/account.repository';
import { Account, AccountSchema } from './accounts/account.schema';
import { CreateAccountMessageController } from './accounts/create-account/create-account.message.controller';
import { CreateAccountService } from './accounts/create-account/create-account.service';
import { GetAccountMessageController } from './accounts/get-account/get-account.message.controller';
import { ListAccountsMessageController } from './accounts/list-accounts/list-accounts.message.controller';
import { UpdateAccountMessageController } from './accounts/update-account/update-account.message.controller';
import { UpdateAccountService } from './accounts/update-account/update-account.service';
import { AddActionMessageController } from './cases/add-action/add-action.message.controller';
import { AddActionService } from './cases/add-action/add-action.service';
import { AssignCaseMessageController } from './cases/assign-case/assign-case.message.controller';
import { AssignCaseService } from './cases/assign-case/assign-case.service';
import { CaseChanges } from './cases/case-changes.service';
import { CaseRepository } from './cases/case.repository';
import { Case, CaseSchema, Counter, CounterSchema, TimelineBucket, TimelineBucketSchema } from './cases/case.schema';
import { TimelineStore } from './cases/timeline/timeline.store';
import { Key, Keys, KeySchema } from './common/keys';
import { KeysBackfill } from './common/keys-backfill';
import { DeliveryLogEntry, DeliveryLogEntrySchema } from './channels/delivery/delivery.schema';
import { ChangeStatusMessageController } from './cases/change-status/change-status.message.controller';
import { ChangeStatusService } from './cases/change-status/change-status.service';
import { Classifier } from './cases/classification/classifier';
import { CreateCaseMessageController } from './cases/create-case/create-case.message.controller';
import { CreateCaseService } from './cases/create-case/create-case.service';
import { GetCaseMessageController } from './cases/get-case/get-case.message.controller';
import { GetTimelineMessageController } from './cases/get-timeline/get-timeline.message.controller';
import { ListCasesMessageController } from './cases/list-cases/list-cases.message.controller';
import { VerifyChainsMessageController } from './cases/verify-chains/verify-chains.message.controller';
import { MarkSlaBreachedMessageController } from './cases/mark-sla-breached/mark-sla-breached.message.controller';
import { MarkSlaBreachedService } from './cases/mark-sla-breached/mark-sla-breached.service';
import { RecordEscalationMessageController } from './cases/record-escalation/record-escalation.message.controller';
import { RecordEscalationService } from './cases/record-escalation/record-escalation.service';
import { ReclassifyCaseMessageController } from './cases/reclassify-case/reclassify-case.message.controller';
import { ReclassifyCaseService } from './cases/reclassify-case/reclassify-case.service';
import { RecordCustomerReplyMessageController } from './cases/record-customer-reply/record-customer-reply.message.controller';
import { RecordCustomerReplyService } from './cases/record-customer-reply/record-customer-reply.service';
import { ReopenCaseMessageController } from './cases/reopen-case/reopen-case.message.controller';
import { ReopenCaseService } from './cases/reopen-case/reopen-case.service';
import { ResolveCaseMessageController } from './cases/resolve-case/resolve-case.message.controller';
import { ResolveCaseService } from './cases/resolve-case/resolve-case.service';
import { RespondToCaseMessageController } from './cases/respond-to-case/respond-to-case.message.controller';
import { RespondToCaseService } from './cases/respond-to-case/respond-to-case.service';
import { DeliveryHandOff, INTAKE_DUE, IntakeDueBucketSchema } from './channels/delivery/delivery-hand-off';
import { Outgoing } from './channels/delivery/outgoing';
import { InboundEmailService } from './channels/email/inbound-email.service';
import { SmtpListener } from './channels/email/smtp-listener';
import { IntercomWebhookMessageController } from './channels/intercom/intercom-webhook/intercom-webhook.message.controller';
import { IntercomWebhookService } from './channels/intercom/intercom-webhook/intercom-webhook.service';
import { AcceptReviewItemMessageController } from './channels/review-queue/accept-review-item/accept-review-item.message.controller';
import { AcceptReviewItemService } from './channels/review-queue/accept-review-item/accept-review-item.service';
import { DismissReviewItemMessageController } from './channels/review-queue/dismiss-review-item/dismiss-review-item.message.controller';
import { ListReviewQueueMessageController } from './channels/review-queue/list-review-queue/list-review-queue.message.controller';
import { ReviewItem, ReviewItemSchema } from './channels/review-queue/review-item.schema';
import { ReviewQueueRepository } from './channels/review-queue/review-queue.repository';
import { IntakeEnv, outboundSettings } from './config';
import { EraseContactService } from './contacts/erase-contact.service';
import { Erasure, ErasureSchema } from './contacts/erasure.schema';
import { ErasureMessageController } from './contacts/erasure.message.controller';
import { RetentionSweeper } from './contacts/retention';
import { CreateStaffMessageController } from './staff/create-staff/create-staff.message.controller';
import { CreateStaffService } from './staff/create-staff/create-staff.service';
import { GetStaffMessageController } from './staff/get-staff/get-staff.message.controller';
import { ListStaffMessageController } from './staff/list-staff/list-staff.message.controller';
import { UpdateStaffMessageController } from './staff/update-staff/update-staff.message.controller';
import { UpdateStaffService } from './staff/update-staff/update-staff.service';
import { StaffRepository } from './staff/staff.repository';
import { Staff, StaffSchema } from './staff/staff.schema';

@Module({})
export class IntakeModule implements OnModuleInit {
  constructor(
    private readonly relay: OutboxRelay,
    private readonly cases: CaseRepository,
    private readonly accounts: AccountRepository,
    private readonly staff: StaffRepository,
  ) {}

  static forRoot(runtime: ServiceRuntime, config: IntakeEnv): DynamicModule {
    return {
      module: IntakeModule,
      imports: [
        MessagingModule.forRuntime(runtime),
        loggerModule('intake', config.LOG_LEVEL),
        mongoModule(config),
        OutboundModule.forRoot(outboundSettings(config)),
        MongooseModule.forFeature([
          { name: Case.name, schema: CaseSchema },
          { name: Counter.name, schema: CounterSchema },
          { name: Account.name, schema: AccountSchema },
          { name: Staff.name, schema: StaffSchema },
          { name: ReviewItem.name, schema: ReviewItemSchema },
          { name: TimelineBucket.name, schema: TimelineBucketSchema },
          { name: Key.name, schema: KeySchema },
          { name: DeliveryLogEntry.name, schema: DeliveryLogEntrySchema },
          { name: INTAKE_DUE, schema: IntakeDueBucketSchema },
          { name: Erasure.name, schema: ErasureSchema },
        ]),
      ],
      controllers: [
        healthController('intake'),
        CreateAccountMessageController,
        UpdateAccountMessageController,
        GetAccountMessageController,
        ListAccountsMessageController,
        CreateStaffMessageController,
        UpdateStaffMessageController,
        GetStaffMessageController,
        ListStaffMessageController,
        CreateCaseMessageController,
        GetCaseMessageController,
        ListCasesMessageController,
        GetTimelineMessageController,
        VerifyChainsMessageController,
        RespondToCaseMessageController,
        RecordCustomerReplyMessageController,
        AddActionMessageController,
        ChangeStatusMessageController,
        ResolveCaseMessageController,
        ReopenCaseMessageController,
        ReclassifyCaseMessageController,
        AssignCaseMessageController,
        MarkSlaBreachedMessageController,
        RecordEscalationMessageController,
        IntercomWebhookMessageController,
        ListReviewQueueMessageController,
        AcceptReviewItemMessageController,
        DismissReviewItemMessageController,
        ErasureMessageController,
      ],
      providers: [
        { provide: IntakeEnv, useValue: config },
        { provide: Classifier, useValue: new Classifier(config.SLADESK_CLASSIFICATION_RULES) },
        {
          provide: HEALTH_CHECKS,
          inject: [getConnectionToken(), SmtpListener],
          useFactory: (conn: Connection, smtp: SmtpListener) => ({
            ...mongoHealthCheck.useFactory(conn),
            smtp: () => smtp.port !== undefined,
          }),
        },
        Keys,
        KeysBackfill,
        TimelineStore,
        CaseRepository,
        AccountRepository,
        StaffRepository,
        ReviewQueueRepository,
        CaseChanges,
        Outgoing,
        DeliveryHandOff,
        CreateAccountService,
        UpdateAccountService,
        CreateStaffService,
        UpdateStaffService,
        CreateCaseService,
        RespondToCaseService,
        RecordCustomerReplyService,
        AddActionService,
        ChangeStatusService,
        ResolveCaseService,
        ReopenCaseService,
        ReclassifyCaseService,
        AssignCaseService,
        MarkSlaBreachedService,
        RecordEscalationService,
        IntercomWebhookService,
        InboundEmailService,
        SmtpListener,
        AcceptReviewItemService,
        EraseContactService,
        RetentionSweeper,
      ],
    };
  }

  onModuleInit(): void {
    this.relay.register(this.cases.caseModel);
    this.relay.register(this.accounts.model);
    this.relay.register(this.staff.model);
  }
}
