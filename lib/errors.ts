/**
 * Errors are values with a code from one catalog, a message a user can act on, and the context of where they
 * happened. The HTTP layer maps codes to statuses exhaustively, so a new code cannot ship without a status.
 */
export type ErrorCode =
  | 'invalid_query'
  | 'invalid_request'
  | 'invalid_record'
  | 'invalid_config'
  | 'index_not_found'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'conflict'
  | 'overloaded'
  | 'storage_full'
  | 'storage_unwritable'
  | 'storage_corrupt'
  | 'shutting_down'
  | 'internal';

const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_query: 400,
  invalid_request: 400,
  invalid_record: 400,
  invalid_config: 400,
  index_not_found: 404,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  payload_too_large: 413,
  unsupported_media_type: 415,
  conflict: 409,
  overloaded: 429,
  storage_full: 507,
  storage_unwritable: 500,
  storage_corrupt: 500,
  shutting_down: 503,
  internal: 500,
};

export class StrataError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StrataError';
    this.code = code;
    this.details = details;
  }
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** Maps a Node fs error to a storage error a user can act on; anything else is rethrown with context. */
export function storageError(err: unknown, action: string, path: string): StrataError {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new StrataError('storage_full', `disk full while trying to ${action} ${path}: free space or lower retention`, { path }, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new StrataError('storage_unwritable', `cannot ${action} ${path}: permission denied or read-only file system`, { path }, { cause: err });
    case 'ENOTDIR':
    case 'EEXIST':
      return new StrataError('storage_unwritable', `cannot ${action} ${path}: a file is in the way of a directory`, { path }, { cause: err });
    default:
      return new StrataError('internal', `failed to ${action} ${path}: ${e?.message ?? String(err)}`, { path, errno: e?.code }, { cause: err });
  }
}

/** `mkdir -p` with a storage error a user can act on. */
export function ensureDir(path: string, mkdir: (p: string, o: { recursive: true }) => unknown): void {
  try {
    mkdir(path, { recursive: true });
  } catch (e) {
    throw storageError(e, 'create directory', path);
  }
}
