/**
 * The headers every piece of content is served with. A vendor chooses the media type of what it returns; served
 * from Reelay's origin, an SVG or HTML would run as Reelay's own page. Only video and raster images are shown
 * inline; anything else is a download of opaque bytes, and nothing is sniffed or allowed to run.
 */
const inlineTypes = new Set([
  'video/mp4',
  'video/webm',
  'video/quicktime',
  'video/x-matroska',
  'video/mpeg',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
]);

export function servedContentHeaders(contentType: string): Record<string, string> {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const protective = {
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
  };
  if (inlineTypes.has(type)) return { ...protective, 'content-type': type };
  return { ...protective, 'content-type': 'application/octet-stream', 'content-disposition': 'attachment' };
}
