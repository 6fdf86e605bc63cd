/**
 * Model input schemas as aggregators (fal, Replicate) publish them per model, for their simulators: a few field
 * builders, and the first problem of an input in the terms both vendors report (the field, what is wrong, a kind).
 * Unknown input keys pass, as both vendors' model servers ignore them (pydantic / cog defaults).
 */
import { z } from 'zod';

export const prompt = z.string().min(1).max(2500);
/** A file input: an http(s) URL or a data: URI (fal and Replicate both accept either for files). */
export const fileInput = z.string().regex(/^(https?:\/\/|data:)/, 'must be a URL or a data URI');
export const oneOf = <T extends string>(values: readonly [T, ...T[]]) => z.enum(values);
export const numberIn = (values: readonly number[]) =>
  z.number().refine((n) => values.includes(n), `must be one of the following: ${values.join(', ')}`);

export type ModelSchema = z.ZodObject<z.ZodRawShape>;

export interface InputProblem {
  /** The input field, dotted ("duration", "image_url"); empty for the input as a whole. */
  field: string;
  message: string;
  kind: 'missing' | 'literal_error' | 'type_error' | 'value_error';
}

/** The first thing wrong with a model input, or null when the model takes it. */
export function inputProblem(schema: ModelSchema, input: unknown): InputProblem | null {
  const result = schema.loose().safeParse(input);
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
    return { field, message: 'field required', kind: 'missing' };
  if (issue.code === 'invalid_value')
    return {
      field,
      message: `must be one of the following: ${issue.values.join(', ')}`,
      kind: 'literal_error',
    };
  if (issue.code === 'invalid_type') return { field, message: issue.message, kind: 'type_error' };
  return { field, message: issue.message, kind: 'value_error' };
}

/** The `Authorization` header's credential after the scheme ("Key", "Bearer"), or null. */
export function credentialOf(header: string | undefined, scheme: string): string | null {
  const match = header ? new RegExp(`^${scheme} (.+)$`).exec(header) : null;
  return match?.[1] ?? null;
}
