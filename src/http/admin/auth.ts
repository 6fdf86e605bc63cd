/**
 * The operator's token for /admin/v1: REELAY_ADMIN_TOKEN when set; otherwise generated on first start,
 * printed once, and kept only as a hash.
 */
import type { FastifyRequest } from 'fastify';
import { AuthenticationError } from '../../errors.js';
import type { AdminService } from '../../admin/service.js';
import { randomBase62, sameSecret, sha256Hex } from '../../security/secrets.js';
import { bearerToken } from '../auth.js';

export interface AdminTokenCheck {
  (request: FastifyRequest): void;
}

/** Returns the check, and the new token when one was just generated (for the caller to print once). */
export async function prepareAdminToken(
  admin: Pick<AdminService, 'getSetting' | 'putSetting'>,
  fromEnv: string | undefined,
): Promise<{ check: AdminTokenCheck; generated: string | null }> {
  let generated: string | null = null;
  let expectedHash: string;
  if (fromEnv) {
    expectedHash = sha256Hex(fromEnv);
  } else {
    const stored = await admin.getSetting('admin_token_hash');
    if (stored) {
      expectedHash = stored;
    } else {
      generated = `rla-${randomBase62(40)}`;
      expectedHash = sha256Hex(generated);
      await admin.putSetting('admin_token_hash', expectedHash);
    }
  }
  const check: AdminTokenCheck = (request) => {
    const token = bearerToken(request);
    if (!token)
      throw new AuthenticationError(
        'Missing admin token: send Authorization: Bearer <admin token>',
        'missing_admin_token',
      );
    if (!sameSecret(sha256Hex(token), expectedHash))
      throw new AuthenticationError('Invalid admin token', 'invalid_admin_token');
  };
  return { check, generated };
}
