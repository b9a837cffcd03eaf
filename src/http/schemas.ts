import { ApiError } from './errors.js';

/** JSON Schema fragments for the OpenAPI document, and small request readers. */
export const obj = (description: string, properties: Record<string, unknown> = {}, required: string[] = []) =>
  ({ type: 'object', description, properties, required, additionalProperties: true });
export const anyResponse = (description: string) => ({ description, type: 'object', additionalProperties: true });
export const errorResponses = {
  400: anyResponse('Bad request: `error.field` names what was wrong'),
  401: anyResponse('Missing or wrong API token'),
  404: anyResponse('Not found'),
};
export const idParam = { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] };

export function intParam(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw ApiError.badRequest(`${name}: must be an integer from ${min} to ${max}`, name);
  return n;
}

export function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('body: must be a JSON object', 'body');
  return body as Record<string, unknown>;
}

