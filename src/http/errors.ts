/**
 * Every coded error the HTTP API answers with, in one table (as Fastify keeps FST_ERR_*).
 * The body is always `{ error: { code, message, field? } }`.
 */
export const API_ERRORS = {
  CS_BAD_REQUEST: { status: 400, message: 'The request is not valid' },
  CS_UNAUTHORIZED: { status: 401, message: 'A valid API token is required: send Authorization: Bearer <token>' },
  CS_WEBHOOK_UNVERIFIED: { status: 401, message: "The webhook is not signed with this connection's key (X-Channelsync-Signature) and does not carry it (X-Channelsync-Key)" },
  CS_CROSS_SITE: { status: 403, message: "Refused: this request comes from another site's page" },
  CS_NOT_FOUND: { status: 404, message: 'Not found' },
  CS_PAUSED: { status: 409, message: 'The connection is paused: resume it first' },
  CS_CONFLICT: { status: 409, message: 'Conflict' },
  CS_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as JSON (Content-Type: application/json), or an Authorization: Bearer <token> header' },
  CS_MISDIRECTED: { status: 421, message: 'This hub does not answer to that Host name: add it to CHANNELSYNC_HOSTNAMES' },
  CS_TOO_MANY_FAILURES: { status: 429, message: 'Too many requests with a wrong API token from this address: wait a minute' },
  CS_INTERNAL: { status: 500, message: 'Internal error' },
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  constructor(readonly code: ApiErrorCode, message?: string, readonly field?: string) {
    super(message ?? API_ERRORS[code].message);
    this.name = 'ApiError';
  }
  get status(): number {
    return API_ERRORS[this.code].status;
  }
  static badRequest(message: string, field?: string) {
    return new ApiError('CS_BAD_REQUEST', message, field);
  }
  static notFound(message: string) {
    return new ApiError('CS_NOT_FOUND', message);
  }
  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}
