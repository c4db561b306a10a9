import { healthController, loggerModule, MessagingModule, mongoHealthCheck, mongoModule, OutboxRelay, ServiceRuntime } from '@sladesk/messaging';
import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CaseRepository } from './cases/case.repository';
import { Case, CaseSchema, Counter, CounterSchema } from './cases/case.schema';
import { CreateCaseMessageController } from './cases/create-case/create-case.message.controller';
import { CreateCaseService } from './cases/create-case/create-case.service';
import { GetCaseMessageController } from './cases/get-case/get-case.message.controller';
import { ListCasesMessageController } from './cases/list-cases/list-cases.message.controller';
import { IntakeEnv } from './config';

@Module({})
export class IntakeModule implements OnModuleInit {
  constructor(
    private readonly relay: OutboxRelay,
    private readonly cases: CaseRepository,
  ) {}

  static forRoot(runtime: ServiceRuntime, config: IntakeEnv): DynamicModule {
    return {
      module: IntakeModule,
      imports: [
        MessagingModule.forRuntime(runtime),
        loggerModule('intake', config.LOG_LEVEL),
        mongoModule(config),
        MongooseModule.forFeature([
          { name: Case.name, schema: CaseSchema },
          { name: Counter.name, schema: CounterSchema },
        ]),
      ],
      controllers: [
        healthController('intake'),
        CreateCaseMessageController,
        GetCaseMessageController,
        ListCasesMessageController,
      ],
      providers: [mongoHealthCheck, CaseRepository, CreateCaseService],
    };
  }

  onModuleInit(): void {
    this.relay.register(this.cases.caseModel);
  }
}
