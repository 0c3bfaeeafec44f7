/**
 * Roles and what they may do. A route names one permission (route `config.permission`); a key's
 * role grants a set of permissions. `public` routes (health, OpenAPI, static UI) need no key.
 */
export const ROLES = ['admin', 'operator', 'inspector', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'read', // parts, captures, events, models, analytics, jobs, metrics
  'parts:write', // create parts, set attributes, upload captures, bulk import
  'register', // register a fingerprint
  'verify', // verify, identify, source prediction
  'events:write', // append events (inspectors: inspection events only)
  'models:write', // activate a source model
  'jobs:admin', // index rebuild, identity evaluation
  'keys:admin', // manage API keys
  'settings:admin', // registry settings (the EPCIS EPC rule)
] as const;
export type Permission = (typeof PERMISSIONS)[number] | 'public';

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set<Permission>(PERMISSIONS),
  operator: new Set<Permission>(['read', 'parts:write', 'register', 'events:write']),
  inspector: new Set<Permission>(['read', 'verify', 'events:write']),
  viewer: new Set<Permission>(['read']),
};

/** Event types an inspector may record (operators and admins may record any type). */
export const INSPECTOR_EVENT_TYPES: ReadonlySet<string> = new Set(['inspected']);

/** Whether a role may record events of this type (and so correct them). */
export function mayRecordEventType(role: Role, type: string): boolean {
  if (role === 'admin' || role === 'operator') return ROLE_PERMISSIONS[role].has('events:write');
  if (role === 'inspector') return INSPECTOR_EVENT_TYPES.has(type);
  return false;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return permission === 'public' || ROLE_PERMISSIONS[role].has(permission);
}
