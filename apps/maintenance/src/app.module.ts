import { HEALTH_CHECKS, healthController, loggerModule, MessagingModule, mongoHealthCheck, mongoModule, OutboxRelay, ServiceRuntime } from '@sladesk/messaging';
import { OutboundModule } from '@sladesk/outbound';
import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { getConnectionToken, MongooseModule } from '@nestjs/mongoose';
import { ScheduleModule } from '@nestjs/schedule';
import { Connection } from 'mongoose';
import { AccountRepository } from './accounts/account.repository';
import { EraseContactMessageController } from './accounts/erase-contact/erase-contact.message.controller';
import { EraseContactService } from './accounts/erase-contact/erase-contact.service';
import { MaintenanceErasure, MaintenanceErasureSchema } from './accounts/erase-contact/erasure.schema';
import { MaintenanceAccount, MaintenanceAccountSchema } from './accounts/account.schema';
import { GetNoticePreferencesMessageController } from './accounts/get-notice-preferences/get-notice-preferences.message.controller';
import { OptOutMessageController } from './accounts/opt-out/opt-out.message.controller';
import { ProjectAccountMessageController } from './accounts/project-account/project-account.message.controller';
import { PutNoticePreferencesMessageController } from './accounts/put-notice-preferences/put-notice-preferences.message.controller';
import { PutNoticePreferencesService } from './accounts/put-notice-preferences/put-notice-preferences.service';
import { AdvisoryRepository } from './advisories/advisory.repository';
import { Advisory, AdvisorySchema } from './advisories/advisory.schema';
import { AdvisorySteps } from './advisories/advisory-steps.service';
import { AnnounceAdvisoryMessageController } from './advisories/announce-advisory/announce-advisory.message.controller';
import { CreateAdvisoryMessageController } from './advisories/create-advisory/create-advisory.message.controller';
import { CreateAdvisoryService } from './advisories/create-advisory/create-advisory.service';
import { GetAdvisoryMessageController } from './advisories/get-advisory/get-advisory.message.controller';
import { ListAdvisoriesMessageController } from './advisories/list-advisories/list-advisories.message.controller';
import { ReleaseAdvisoryMessageController } from './advisories/release-advisory/release-advisory.message.controller';
import { TestAdvisoryMessageController } from './advisories/test-advisory/test-advisory.message.controller';
import { ValidateAdvisoryMessageController } from './advisories/validate-advisory/validate-advisory.message.controller';
import { DueSchedule } from './common/due-schedule';
import { SignedLinks } from './common/links';
import { MaintenanceEnv } from './config';
import { NoticeTriggersMessageController } from './notices/create-notice/notice-triggers.message.controller';
import { NoticeTriggers } from './notices/create-notice/notice-triggers.service';
import { NoticesMessageController } from './notices/list-notices/notices.message.controller';
import { NoticeFanout } from './notices/notice-fanout';
import { Notice, NoticeSchema } from './notices/notice.schema';
import { ReminderSender } from './reminders/reminder-sender';
import { Reminder, ReminderSchema } from './reminders/reminder.schema';
import { ReminderStore } from './reminders/reminder.store';
import { CalendarFeedMessageController } from './windows/calendar-feed/calendar-feed.message.controller';
import { CalendarFeedService } from './windows/calendar-feed/calendar-feed.service';
import { CancelWindowMessageController } from './windows/cancel-window/cancel-window.message.controller';
import { CancelWindowService } from './windows/cancel-window/cancel-window.service';
import { CompleteWindowMessageController } from './windows/complete-window/complete-window.message.controller';
import { CompleteWindowService } from './windows/complete-window/complete-window.service';
import { CreateWindowMessageController } from './windows/create-window/create-window.message.controller';
import { CreateWindowService } from './windows/create-window/create-window.service';
import { GetWindowMessageController } from './windows/get-window/get-window.message.controller';
import { ListWindowsMessageController } from './windows/list-windows/list-windows.message.controller';
import { RescheduleWindowMessageController } from './windows/reschedule-window/reschedule-window.message.controller';
import { RescheduleWindowService } from './windows/reschedule-window/reschedule-window.service';
import { StartWindowMessageController } from './windows/start-window/start-window.message.controller';
import { StartWindowService } from './windows/start-window/start-window.service';
import { WindowRepository } from './windows/window.repository';
import { MaintenanceWindow, MaintenanceWindowSchema } from './windows/window.schema';
import { ExtendSeriesService } from './windows/extend-series/extend-series.service';
import { SeriesStore } from './windows/extend-series/series.store';
import { MaintenanceSeries, MaintenanceSeriesSchema } from './windows/series.schema';

/**
 * The maintenance service: windows and their reminders, the advisory pipeline, who is told, and the
 * notices themselves (delivered through @sladesk/outbound). See apps/maintenance/README.md.
 */
@Module({})
export class MaintenanceModule implements OnModuleInit {
  constructor(
    private readonly relay: OutboxRelay,
    private readonly windows: WindowRepository,
    private readonly advisories: AdvisoryRepository,
    private readonly reminders: ReminderStore,
  ) {}

  static forRoot(runtime: ServiceRuntime, config: MaintenanceEnv): DynamicModule {
    return {
      module: MaintenanceModule,
      imports: [
        MessagingModule.forRuntime(runtime),
        loggerModule('maintenance', config.LOG_LEVEL),
        mongoModule(config),
        ScheduleModule.forRoot(),
        OutboundModule.forRoot(config),
        MongooseModule.forFeature([
          { name: MaintenanceWindow.name, schema: MaintenanceWindowSchema },
          { name: MaintenanceSeries.name, schema: MaintenanceSeriesSchema },
          { name: Reminder.name, schema: ReminderSchema },
          { name: Notice.name, schema: NoticeSchema },
          { name: Advisory.name, schema: AdvisorySchema },
          { name: MaintenanceAccount.name, schema: MaintenanceAccountSchema },
          { name: MaintenanceErasure.name, schema: MaintenanceErasureSchema },
        ]),
      ],
      controllers: [
        healthController('maintenance'),
        CreateWindowMessageController,
        GetWindowMessageController,
        ListWindowsMessageController,
        StartWindowMessageController,
        CompleteWindowMessageController,
        CancelWindowMessageController,
        RescheduleWindowMessageController,
        CalendarFeedMessageController,
        CreateAdvisoryMessageController,
        GetAdvisoryMessageController,
        ListAdvisoriesMessageController,
        TestAdvisoryMessageController,
        ValidateAdvisoryMessageController,
        ReleaseAdvisoryMessageController,
        AnnounceAdvisoryMessageController,
        ProjectAccountMessageController,
        PutNoticePreferencesMessageController,
        GetNoticePreferencesMessageController,
        OptOutMessageController,
        EraseContactMessageController,
        NoticeTriggersMessageController,
        NoticesMessageController,
      ],
      providers: [
        { provide: MaintenanceEnv, useValue: config },
        {
          provide: HEALTH_CHECKS,
          inject: [getConnectionToken()],
          useFactory: (conn: Connection) => mongoHealthCheck.useFactory(conn),
        },
        SignedLinks,
        DueSchedule,
        AccountRepository,
        WindowRepository,
        ReminderStore,
        ReminderSender,
        AdvisoryRepository,
        AdvisorySteps,
        CreateWindowService,
        SeriesStore,
        ExtendSeriesService,
        StartWindowService,
        CompleteWindowService,
        CancelWindowService,
        RescheduleWindowService,
        CalendarFeedService,
        CreateAdvisoryService,
        PutNoticePreferencesService,
        NoticeFanout,
        NoticeTriggers,
        EraseContactService,
      ],
    };
  }

  onModuleInit(): void {
    this.relay.register(this.windows.model);
    this.relay.register(this.advisories.model);
    this.relay.register(this.reminders.model);
  }
}
