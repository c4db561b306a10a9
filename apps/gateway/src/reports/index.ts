import { Type } from '@nestjs/common';
import { ExportsHttpController } from './exports.http.controller';
import { ReportsHttpController } from './reports.http.controller';

/** The reporting resources: reports in every format, export jobs and their files, digests. */
export const REPORTS_HTTP_CONTROLLERS: Type<unknown>[] = [ReportsHttpController, ExportsHttpController];
