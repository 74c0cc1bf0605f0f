import type { GrantState } from '../domain/grant.js';

export type JitEventType =
  | 'requested'
  | 'approved'
  | 'denied'
  | 'active'
  | 'extended'
  /** An extension waits for approval; `details.approvers` lists who may approve it. */
  | 'extension_requested'
  | 'extension_denied'
  /** The credential of an active grant was replaced at its technician's request (the old one no longer works). */
  | 'credential_reissued'
  | 'revoked'
  | 'expired'
  | 'closed'
  | 'failed'
  | 'needs_attention'
  | 'drift_found'
  /** A live grant's account is gone from the tenant (deleted outside jitadmin); the grant is ended. */
  | 'account_missing';

/** A typed notification, emitted after the change it reports was committed. Never carries a secret. */
export interface JitEvent {
  type: JitEventType;
  providerId: string;
  at: string;
  grantId?: string;
  customerId?: string;
  technicianId?: string;
  state?: GrantState;
  /** Secret-free facts: error code, drift details, who acted. */
  details?: Record<string, string | number | boolean | readonly string[] | null>;
}

/** Where events go: a webhook, a chat channel, a metrics counter. Errors thrown here are logged and dropped. */
export interface EventSink {
  emit(event: JitEvent): void | Promise<void>;
}

/** Structured log lines. Implementations must not be handed secrets, and core never hands them any. */
export interface Logger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
