import { AppError, httpStatusOf } from '@sladesk/contracts';
import { HttpException, MethodNotAllowedException, NotFoundException } from '@nestjs/common';
import { toErrorResponse } from './errors';

const fastifyError = (code: string, statusCode: number) => Object.assign(new Error(code), { code, statusCode });

describe(toErrorResponse.name, () => {
  it('keeps an AppError its code and status', () => {
    expect(toErrorResponse(new AppError('CASE.NOT_FOUND', 'no such case'))).toEqual({ status: 404, body: { code: 'CASE.NOT_FOUND', message: 'no such case' } });
  });

  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'REQUEST.TOO_LARGE'],
    ['FST_ERR_BAD_URL', 400, 'REQUEST.MALFORMED'],
    ['FST_ERR_MAX_PARAM_LENGTH', 414, 'VALIDATION.FAILED'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'REQUEST.MALFORMED'],
    ['FST_ERR_SOMETHING_NEW', 406, 'REQUEST.MALFORMED'],
  ])('gives Fastify’s %s (%i) our code %s', (fst, status, code) => {
    const { status: answered, body } = toErrorResponse(fastifyError(fst, status));
    expect(body.code).toBe(code);
    expect(answered).toBe(httpStatusOf(body.code));
  });

  it('gives a Nest HttpException of any 4xx one of our codes', () => {
    expect(toErrorResponse(new NotFoundException()).body.code).toBe('ROUTE.NOT_FOUND');
    expect(toErrorResponse(new MethodNotAllowedException())).toMatchObject({ status: 400, body: { code: 'REQUEST.MALFORMED' } });
  });

  it('hides anything else behind a 500 with an errorId only', () => {
    for (const e of [new TypeError('x.trim is not a function'), new HttpException('upstream', 502), 'a string']) {
      const { status, body } = toErrorResponse(e);
      expect(status).toBe(500);
      expect(body).toEqual({ code: 'INTERNAL', message: 'Internal error', errorId: expect.any(String) });
    }
  });
});
