/** Image inputs as clients send them: an http(s) URL, a data: URL, or raw base64. */
import { InvalidRequestError } from './errors.js';
import type { ImageInput } from './adapter.js';

/** The largest image Reelay takes, decoded. */
export const maxImageBytes = 10 * 1024 * 1024;
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;
const dataUrlPattern = /^data:([\w.+-]+\/[\w.+-]+)?(;[\w-]+=[\w.-]+)*;base64,(.*)$/s;

export function parseImage(value: string, param: string): ImageInput {
  const trimmed = value.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    try {
      const url = new URL(trimmed);
      return { kind: 'url', url: url.toString() };
    } catch {
      throw new InvalidRequestError(`${param} is not a valid URL`, param);
    }
  }
  const dataUrl = dataUrlPattern.exec(trimmed);
  if (trimmed.startsWith('data:') && !dataUrl) {
    throw new InvalidRequestError(`${param} is a data URL that is not base64 encoded`, param);
  }
  const data = (dataUrl ? (dataUrl[3] ?? '') : trimmed).replace(/\s+/g, '');
  if (data.length === 0 || data.length % 4 !== 0 || !base64Pattern.test(data)) {
    throw new InvalidRequestError(
      `${param} must be an http(s) URL, a data URL or base64-encoded image bytes`,
      param,
    );
  }
  if ((data.length / 4) * 3 > maxImageBytes) {
    throw new InvalidRequestError(`${param} is larger than ${maxImageBytes / 1024 / 1024} MB`, param);
  }
  const mimeType = dataUrl?.[1] ?? sniffImageType(data);
  if (mimeType !== null && !mimeType.startsWith('image/')) {
    throw new InvalidRequestError(`${param} must be an image, got ${mimeType}`, param);
  }
  return { kind: 'base64', data, mimeType };
}

/** Recognises the common image formats from the first base64 characters (their magic bytes). */
function sniffImageType(base64: string): string | null {
  if (base64.startsWith('iVBORw0KGgo')) return 'image/png';
  if (base64.startsWith('/9j/')) return 'image/jpeg';
  if (base64.startsWith('UklGR')) return 'image/webp';
  if (base64.startsWith('R0lGOD')) return 'image/gif';
  return null;
}

export function imageAsDataUrl(image: ImageInput): string {
  return image.kind === 'url' ? image.url : `data:${image.mimeType ?? 'image/png'};base64,${image.data}`;
}

/** URL as is, or raw base64 without a data: prefix (Kling, Jimeng). */
export function imageAsUrlOrRawBase64(image: ImageInput): string {
  return image.kind === 'url' ? image.url : image.data;
}
