import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Passwords are people's choices, so they are stored slowly hashed: scrypt, whose cost is memory as well as time,
 * so that a stolen users file is expensive to guess through on GPUs. N = 2^15, r = 8 takes 32 MiB and about 60 ms
 * here; it runs in libuv's thread pool, off the event loop. Each hash keeps its parameters, so they can rise later
 * without invalidating stored hashes.
 */
export const PasswordHashSchema = z
  .object({
    alg: z.literal('scrypt'),
    n: z.number().int().min(2),
    r: z.number().int().min(1),
    p: z.number().int().min(1),
    salt: z.string().min(16),
    key: z.string().min(16),
  })
  .strict();
export type PasswordHash = z.infer<typeof PasswordHashSchema>;

const COST = { n: 1 << 15, r: 8, p: 1 };
const KEY_BYTES = 32;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((ok, fail) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { N: n, r, p, maxmem: 256 * n * r + (1 << 20) }, (e, key) => (e ? fail(e) : ok(key))),
  );
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST.n, COST.r, COST.p);
  return { alg: 'scrypt', ...COST, salt: salt.toString('base64'), key: key.toString('base64') };
}

export async function verifyPassword(password: string, h: PasswordHash): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const expected = Buffer.from(h.key, 'base64');
  const key = await derive(password, Buffer.from(h.salt, 'base64'), h.n, h.r, h.p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A password for a person to copy once: 20 characters of base64url, about 120 bits. */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}

/** Why a new password is refused, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password has at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}
