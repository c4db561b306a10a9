/**
 * Stable error codes. They cross process boundaries (`instanceof` does not survive NATS), appear in
 * HTTP bodies, and clients branch on them: never rename one.
 */
export const ErrorCodes = {
  'VALIDATION.FAILED': 400,
  'REQUEST.MALFORMED': 400,
  'REQUEST.TOO_LARGE': 413,
  /** The request's headers exceed what the server accepts. */
  'REQUEST.HEADERS_TOO_LARGE': 431,
  /** The client did not send the whole request in time. */
  'REQUEST.TIMEOUT': 408,
  'AUTH.MISSING_KEY': 401,
  'AUTH.INVALID_KEY': 401,
  'ROUTE.NOT_FOUND': 404,
  'CASE.NOT_FOUND': 404,
  'PAGINATION.BAD_CURSOR': 400,
  'IDEMPOTENCY.KEY_REUSED': 422,
  'SERVICE.UNAVAILABLE': 503,
  'SERVICE.TIMEOUT': 504,
  'INTERNAL': 500,
  /** A service's answer exceeded what NATS carries in one message (ask for a smaller page). */
  'REPLY.TOO_LARGE': 502,
  'ACCOUNT.NOT_FOUND': 404,
  'ACCOUNT.ALREADY_EXISTS': 409,
  'STAFF.NOT_FOUND': 404,
  'STAFF.ALREADY_EXISTS': 409,
  'STAFF.ROLE_MISSING': 422,
  'CASE.INVALID_TRANSITION': 409,
  /** `receivedAt` later than now plus the allowed clock skew (details: receivedAt, latestAccepted). */
  'CASE.RECEIVED_IN_FUTURE': 400,
  'RESOURCE.CONCURRENT_UPDATE': 409,
  'CHANNEL.BAD_SIGNATURE': 401,
  'CHANNEL.NOT_CONFIGURED': 503,
  'REVIEW.NOT_FOUND': 404,
  'REVIEW.ALREADY_DECIDED': 409,
  /** The message gives no email address for its sender: accepting it needs `contact`. */
  'REVIEW.CONTACT_REQUIRED': 422,
  'ESCALATION.NOT_FOUND': 404,
  'ESCALATION.NOT_OPEN': 409,
  'ESCALATION.NOT_A_RECIPIENT': 403,
  'INCIDENT.NOT_FOUND': 404,
  'INCIDENT.ALREADY_RESTORED': 409,
  /** Times of an incident that cannot be: impact start after identification or restoration, in the future (details say which). */
  'INCIDENT.INVALID_TIMES': 400,
  /** A correction of `restoredAt` for an incident that is still open (restore it instead). */
  'INCIDENT.NOT_RESTORED': 409,
  // availability (#12)
  'COMPONENT.NOT_FOUND': 404,
  'COMPONENT.ALREADY_EXISTS': 409,
  /** Objectives that do not fit together (details: path, problem), e.g. two with one id, a restoration without a maximum. */
  'COMPONENT.INVALID': 400,
  'EXCLUSION.NOT_FOUND': 404,
  /** An exclusion that ends before it starts, or is longer than a year. */
  'EXCLUSION.INVALID': 400,
  // sla (#5)
  'CALENDAR.NOT_FOUND': 404,
  'CALENDAR.INVALID_SPEC': 400,
  'CALENDAR.ALREADY_EXISTS': 409,
  'SLA_POLICY.NOT_FOUND': 404,
  'SLA_POLICY.INVALID': 400,
  'SLA_POLICY.ALREADY_EXISTS': 409,
  'SLA_POLICY.ACCOUNT_HAS_POLICY': 409,
  'SLA.VERSION_CONFLICT': 409,
  // maintenance (#11)
  'MAINTENANCE_WINDOW.NOT_FOUND': 404,
  'MAINTENANCE_WINDOW.INVALID_TIMES': 400,
  'MAINTENANCE_WINDOW.INVALID_RECURRENCE': 400,
  /** start/complete/cancel/reschedule refused in the window's state (details: from, action). */
  'MAINTENANCE_WINDOW.INVALID_TRANSITION': 409,
  'ADVISORY.NOT_FOUND': 404,
  'ADVISORY.INVALID_VERSION_RANGE': 400,
  /** validate before the patch was applied on a test version */
  'ADVISORY.NOT_TESTED': 409,
  /** release before validation */
  'ADVISORY.NOT_VALIDATED': 409,
  'ADVISORY.ALREADY_VALIDATED': 409,
  'ADVISORY.ALREADY_RELEASED': 409,
  'ADVISORY.ALREADY_ANNOUNCED': 409,
  'NOTICE.NOT_FOUND': 404,
  /** an opt-out or calendar link whose signature does not match */
  'NOTICE.BAD_LINK': 403,
  // reporting (#13)
  /** A period that is not a range of days (from after to, more than 36 months, month with from/to). */
  'REPORT.INVALID_PERIOD': 400,
  /** A format this report does not come in (zip is the support record's evidence pack only). */
  'REPORT.FORMAT_UNSUPPORTED': 400,
  'EXPORT.NOT_FOUND': 404,
  /** The export is still being written, or failed: see its state. */
  'EXPORT.NOT_READY': 409,
  // security (#14)
  /** The caller is known but its roles do not include this route (details: route, roles allowed). */
  'AUTH.FORBIDDEN': 403,
  /** An account-scoped caller named another account in a filter or a body. */
  'AUTH.ACCOUNT_FORBIDDEN': 403,
  'AUTH.KEY_REVOKED': 401,
  'AUTH.KEY_EXPIRED': 401,
  /** A bearer token that is a JWT but fails verification (signature, issuer, audience, time, algorithm). */
  'AUTH.INVALID_TOKEN': 401,
  'API_KEY.NOT_FOUND': 404,
  /** Roles that do not go together (integration with another role, integration without accountId …). */
  'API_KEY.INVALID': 400,
  /** Too many requests for this key or this source address in the current window (Retry-After says when). */
  'RATE_LIMIT.EXCEEDED': 429,
  /** A body or query field name starting with `$` (an operator), or `__proto__`/`constructor`/`prototype`. */
  'REQUEST.OPERATOR_REJECTED': 400,
  'ERASURE.NOT_FOUND': 404,
} as const satisfies Record<string, number>;
export type ErrorCode = keyof typeof ErrorCodes;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
  errorId?: string;
}

/** A failure that is meant for the caller; carries its code across NATS as plain data. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static isCode(value: unknown): value is ErrorCode {
    return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ErrorCodes, value);
  }
}

export const httpStatusOf = (code: ErrorCode): number => ErrorCodes[code];

/** The reply of every request/reply subject. */
export type RpcReply<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
