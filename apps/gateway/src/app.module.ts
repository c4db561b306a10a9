import { loggerModule, MessagingModule, mongoModule, ServiceRuntime } from '@sladesk/messaging';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { ThrottlerModule } from '@nestjs/throttler';
import { ApiKey, ApiKeySchema } from './auth/api-key.schema';
import { ApiKeys } from './auth/api-keys.service';
import { AuditInterceptor, AuditLog, AuditRecord, AuditRecordSchema } from './auth/audit';
import { AuthenticateGuard, AuthorizeGuard } from './auth/auth.guards';
import { OidcVerifier } from './auth/oidc';
import { rateLimitOptions, RateLimitGuard } from './auth/rate-limit';
import { SECURITY_HTTP_CONTROLLERS } from './auth/security.http.controller';
import { GatewayEnv } from './config';
import { CorrelationInterceptor } from './http/correlation.interceptor';
import { HttpErrorFilter } from './http/errors';
import { ContractValidationPipe } from './http/validation.pipe';
import { HTTP_CONTROLLERS } from './routes';

@Module({})
export class GatewayModule {
  static forRoot(runtime: ServiceRuntime, config: GatewayEnv): DynamicModule {
    const oidc: Provider[] = config.SLADESK_OIDC_ISSUER
      ? [{ provide: OidcVerifier, useValue: new OidcVerifier(config as GatewayEnv & { SLADESK_OIDC_ISSUER: string }) }]
      : [];
    return {
      module: GatewayModule,
      imports: [
        MessagingModule.forRuntime(runtime),
        loggerModule('gateway', config.LOG_LEVEL),
        mongoModule(config),
        MongooseModule.forFeature([
          { name: ApiKey.name, schema: ApiKeySchema },
          { name: AuditRecord.name, schema: AuditRecordSchema },
        ]),
        ThrottlerModule.forRootAsync(rateLimitOptions(config)),
      ],
      controllers: [...HTTP_CONTROLLERS, ...SECURITY_HTTP_CONTROLLERS],
      providers: [
        { provide: GatewayEnv, useValue: config },
        ApiKeys,
        AuditLog,
        ...oidc,
        // In this order: who is calling, how often (per address, per caller), may they.
        { provide: APP_GUARD, useClass: AuthenticateGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: AuthorizeGuard },
        { provide: APP_PIPE, useClass: ContractValidationPipe },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_INTERCEPTOR, useClass: CorrelationInterceptor },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      ],
      exports: [ApiKeys],
    };
  }
}
