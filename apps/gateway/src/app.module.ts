import { loggerModule, MessagingModule, mongoModule, ServiceRuntime } from '@sladesk/messaging';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { GatewayEnv } from './config';
import { ApiKeyGuard, ApiKeys } from './http/auth.guard';
import { CorrelationInterceptor } from './http/correlation.interceptor';
import { HttpErrorFilter } from './http/errors';
import { ContractValidationPipe } from './http/validation.pipe';
import { HTTP_CONTROLLERS } from './routes';

@Module({})
export class GatewayModule {
  static forRoot(runtime: ServiceRuntime, config: GatewayEnv): DynamicModule {
    return {
      module: GatewayModule,
      imports: [MessagingModule.forRuntime(runtime), loggerModule('gateway', config.LOG_LEVEL), mongoModule(config)],
      controllers: HTTP_CONTROLLERS,
      providers: [
        { provide: GatewayEnv, useValue: config },
        { provide: ApiKeys, useValue: new ApiKeys(config.SLADESK_ADMIN_API_KEY ? [config.SLADESK_ADMIN_API_KEY] : []) },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_PIPE, useClass: ContractValidationPipe },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_INTERCEPTOR, useClass: CorrelationInterceptor },
      ],
    };
  }
}
