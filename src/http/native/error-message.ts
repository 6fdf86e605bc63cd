/** Error messages for the vendor-native surfaces, in the field names their clients sent. */
import type { ApiError } from '../../errors.js';

/** The offending field as the native client wrote it; null when the error names none. */
export function nativeParam(error: ApiError): string | null {
  return error.param === null ? null : error.param.replace(/^metadata\./, '');
}

/**
 * A native client sends Kling's or Vidu's fields at the top level, where Reelay's other surfaces put them in
 * `metadata`: the message names them as the client wrote them (`metadata.aspect_ratio` → `aspect_ratio`), and
 * starts with the field when it does not name it (Kling's error shape has no field of its own for it).
 */
export function nativeErrorMessage(error: ApiError): string {
  const message = error.message.replace(/\bmetadata\.(?=\w)/g, '');
  const param = nativeParam(error);
  return param && !message.includes(param) ? `${param}: ${message}` : message;
}
