import { z } from 'zod';
import { Id, Instant, Text } from './common.js';

/** Look of every page the provider's people see. */
export const Branding = z.object({
  name: Text(120).min(1),
  logoUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  accentColor: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #0a7cff')
    .optional(),
});
export type Branding = z.infer<typeof Branding>;

/** The MSP. Every other record carries its `providerId`. */
export const Provider = z.object({
  id: Id,
  name: Text(200).min(1),
  branding: Branding.optional(),
  createdAt: Instant,
});
export type Provider = z.infer<typeof Provider>;

/** What a person may do in jitadmin, from IdP groups mapped in configuration. */
export const AppRole = z.enum(['technician', 'approver', 'admin']);
export type AppRole = z.infer<typeof AppRole>;

/** A person of the MSP, known from its IdP. */
export const Technician = z.object({
  providerId: Id,
  id: Id,
  /** The IdP's `sub` (with the issuer, unique per provider). */
  subject: z.string().min(1).max(512),
  email: z.email().max(320),
  displayName: Text(200).min(1),
  /** IdP group names or ids, as the IdP sends them. */
  groups: z.array(z.string().min(1).max(256)).max(500),
  appRoles: z.array(AppRole).max(3),
  /** Only technicians on the roster (active) may sign in or request. */
  active: z.boolean(),
  createdAt: Instant,
});
export type Technician = z.infer<typeof Technician>;

/** Who does something: a person of the provider, or jitadmin itself (scheduler, reconciler). */
export type Actor =
  | { kind: 'person'; providerId: string; technicianId: string; appRoles: readonly AppRole[]; groups?: readonly string[] }
  | { kind: 'system'; providerId: string; name: 'scheduler' | 'reconciler' | 'setup' };
