/**
 * Which EPC names which part: GS1 keys (SGTIN, SSCC, GIAI) in their EPC URN form
 * ("urn:epc:id:sgtin:0614141.107346.2017") or as GS1 Digital Link URIs
 * ("https://id.gs1.org/01/10614141073464/21/2017", any domain), and partprint's own part URIs.
 * Serialised GRAIs (returnable assets) too. The rule is configured once per registry (trace settings), so a document naming parts of
 * several GTINs needs no per-import guess of a URI prefix.
 */
import { TraceError } from '../core/index.js';

export const EPC_SCHEMES = ['partprint', 'sgtin', 'sscc', 'giai', 'grai'] as const;
export type EpcScheme = (typeof EPC_SCHEMES)[number];

export interface EpcRule {
  /** Identifier schemes whose EPCs name parts; an EPC of another scheme is not a part. */
  schemes: EpcScheme[];
  /** Serial of a part named by an SGTIN (or Digital Link 01 + 21): placeholders {gtin} (GTIN-14) and {serial}. */
  sgtinSerial: string;
  /** Serial of a part named by an SSCC: placeholder {sscc} (18 digits). */
  ssccSerial: string;
  /** Serial of a part named by a GIAI: placeholder {giai}. */
  giaiSerial: string;
  /** Serial of a part named by a serialised GRAI (a returnable asset): placeholder {grai} (14 digits + serial). */
  graiSerial: string;
  /** Only these GTIN-14s name parts (empty: every GTIN). */
  gtins: string[];
  /** Prefix of partprint's own part URIs (the URL-encoded serial follows). */
  partUriBase: string;
}

export const DEFAULT_PART_URI_BASE = 'urn:partprint:part:';

export const DEFAULT_EPC_RULE: EpcRule = {
  schemes: [...EPC_SCHEMES],
  sgtinSerial: '{gtin}.{serial}',
  ssccSerial: '{sscc}',
  giaiSerial: '{giai}',
  graiSerial: '{grai}',
  gtins: [],
  partUriBase: DEFAULT_PART_URI_BASE,
};

/** A GS1 key read from an EPC URN or a Digital Link URI. */
export type Gs1Key =
  | { scheme: 'sgtin'; gtin: string; serial: string }
  | { scheme: 'sscc'; sscc: string }
  | { scheme: 'giai'; giai: string }
  | { scheme: 'grai'; grai: string };

/** GS1 mod-10 check digit of the digits given (without the check digit). */
export function gs1CheckDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    sum += i % 2 === 0 ? d * 3 : d;
  }
  return String((10 - (sum % 10)) % 10);
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** "urn:epc:id:sgtin:0614141.107346.2017" etc. (EPC Tag Data Standard pure identity URIs). */
function parseEpcUrn(uri: string): Gs1Key | null {
  const m = /^urn:epc:id:(sgtin|sscc|giai|grai):(.+)$/.exec(uri);
  if (!m) return null;
  const parts = m[2].split('.');
  if (m[1] === 'sgtin') {
    if (parts.length !== 3 || !/^\d+$/.test(parts[0]) || !/^\d+$/.test(parts[1]) || parts[0].length + parts[1].length !== 13) return null;
    const [cp, itemRef, rawSerial] = parts;
    const serial = decode(rawSerial);
    if (serial === null || serial === '') return null;
    const body = itemRef[0] + cp + itemRef.slice(1);
    return { scheme: 'sgtin', gtin: body + gs1CheckDigit(body), serial };
  }
  if (m[1] === 'sscc') {
    if (parts.length !== 2 || !/^\d+$/.test(parts[0]) || !/^\d+$/.test(parts[1]) || parts[0].length + parts[1].length !== 17) return null;
    const [cp, serialRef] = parts;
    const body = serialRef[0] + cp + serialRef.slice(1);
    return { scheme: 'sscc', sscc: body + gs1CheckDigit(body) };
  }
  if (m[1] === 'grai') {
    // Only a serialised GRAI names one asset; company prefix + asset type are 12 digits.
    if (parts.length !== 3 || !/^\d+$/.test(parts[0]) || !/^\d*$/.test(parts[1]) || parts[0].length + parts[1].length !== 12) return null;
    const serial = decode(parts[2]);
    if (serial === null || serial === '') return null;
    const body = `0${parts[0]}${parts[1]}`;
    return { scheme: 'grai', grai: body + gs1CheckDigit(body) + serial };
  }
  if (parts.length !== 2 || !/^\d+$/.test(parts[0])) return null;
  const asset = decode(parts[1]);
  return asset === null || asset === '' ? null : { scheme: 'giai', giai: parts[0] + asset };
}

/** A GS1 Digital Link URI: the primary key is the first AI (01, 00, 8004) of the path, on any domain and under any path prefix. */
function parseDigitalLink(uri: string): Gs1Key | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const segs = url.pathname.split('/').filter((s) => s !== '');
  for (let i = 0; i + 1 < segs.length; i++) {
    const ai = segs[i];
    const value = decode(segs[i + 1]);
    if (value === null) return null;
    if (ai === '01') {
      if (!/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(value)) return null;
      const gtin = value.padStart(14, '0');
      if (gs1CheckDigit(gtin.slice(0, 13)) !== gtin[13]) return null;
      // An instance needs the serial (AI 21) right after the GTIN (a lot, AI 10, may come between).
      let j = i + 2;
      if (segs[j] === '22' || segs[j] === '10') j += 2;
      if (segs[j] !== '21' || segs[j + 1] === undefined) return null;
      const serial = decode(segs[j + 1]);
      return serial === null || serial === '' ? null : { scheme: 'sgtin', gtin, serial };
    }
    if (ai === '00') {
      if (!/^\d{18}$/.test(value) || gs1CheckDigit(value.slice(0, 17)) !== value[17]) return null;
      return { scheme: 'sscc', sscc: value };
    }
    if (ai === '8004') return value === '' ? null : { scheme: 'giai', giai: value };
    if (ai === '8003') {
      // 14 digits (a leading 0, the GRAI-13) and the serial that makes it one asset.
      if (!/^0\d{13}.+$/.test(value) || gs1CheckDigit(value.slice(0, 13)) !== value[13]) return null;
      return { scheme: 'grai', grai: value };
    }
  }
  return null;
}

/** The GS1 key an EPC names (URN or Digital Link), or null when it names none of SGTIN, SSCC, GIAI. */
export function parseGs1Key(uri: string): Gs1Key | null {
  return uri.startsWith('urn:epc:id:') ? parseEpcUrn(uri) : parseDigitalLink(uri);
}

/** The URI that names a part in EPCIS documents. */
export function partUri(serial: string, base = DEFAULT_PART_URI_BASE): string {
  return `${base}${encodeURIComponent(serial)}`;
}

/** The serial in a part URI, or null when the URI is not under `base`. */
export function serialFromPartUri(uri: string, base = DEFAULT_PART_URI_BASE): string | null {
  if (!uri.startsWith(base) || uri.length === base.length) return null;
  return decode(uri.slice(base.length));
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (all, name: string) => values[name] ?? all);
}

/** A part named by an EPC under a rule: its serial, and the GTIN as part number for SGTINs. */
export interface EpcPart {
  serial: string;
  partNumber: string | null;
  scheme: EpcScheme;
}

/**
 * The part an EPC names under `rule`, or null (an EPC of a scheme the rule leaves out, a GTIN
 * outside `gtins`, or no identifier partprint reads).
 *
 * @example partForEpc('urn:epc:id:sgtin:0614141.107346.2017') // { serial: '10614141073464.2017', partNumber: '10614141073464', scheme: 'sgtin' }
 */
export function partForEpc(uri: string, rule: EpcRule = DEFAULT_EPC_RULE): EpcPart | null {
  if (rule.schemes.includes('partprint')) {
    const serial = serialFromPartUri(uri, rule.partUriBase);
    if (serial !== null) return { serial, partNumber: null, scheme: 'partprint' };
  }
  const key = parseGs1Key(uri);
  if (key === null || !rule.schemes.includes(key.scheme)) return null;
  switch (key.scheme) {
    case 'sgtin':
      if (rule.gtins.length > 0 && !rule.gtins.includes(key.gtin)) return null;
      return { serial: fill(rule.sgtinSerial, { gtin: key.gtin, serial: key.serial }), partNumber: key.gtin, scheme: 'sgtin' };
    case 'sscc':
      return { serial: fill(rule.ssccSerial, { sscc: key.sscc }), partNumber: null, scheme: 'sscc' };
    case 'giai':
      return { serial: fill(rule.giaiSerial, { giai: key.giai }), partNumber: null, scheme: 'giai' };
    case 'grai':
      return { serial: fill(rule.graiSerial, { grai: key.grai }), partNumber: null, scheme: 'grai' };
  }
}

function bad(message: string): TraceError {
  return new TraceError(message, { code: 'BAD_INPUT' });
}

function checkTemplate(name: string, value: unknown, placeholders: string[], required: string[]): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 200) throw bad(`EPC rule: ${name} must be a template of 1..200 characters`);
  for (const m of value.matchAll(/\{(\w+)\}/g)) {
    if (!placeholders.includes(m[1])) throw bad(`EPC rule: ${name} has an unknown placeholder {${m[1]}} (known: ${placeholders.map((p) => `{${p}}`).join(', ')})`);
  }
  for (const r of required) if (!value.includes(`{${r}}`)) throw bad(`EPC rule: ${name} must contain {${r}}, or two parts would get the same serial`);
  return value;
}

/** Checks a (partial) rule and returns it completed with the defaults. */
export function checkEpcRule(input: unknown): EpcRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('EPC rule must be a JSON object');
  const o = input as Record<string, unknown>;
  const known = Object.keys(DEFAULT_EPC_RULE);
  for (const k of Object.keys(o)) if (!known.includes(k)) throw bad(`EPC rule: unknown member "${k}" (known: ${known.join(', ')})`);
  const rule: EpcRule = { ...DEFAULT_EPC_RULE, ...(o as Partial<EpcRule>) };
  if (!Array.isArray(rule.schemes) || rule.schemes.length === 0 || rule.schemes.some((s) => !(EPC_SCHEMES as readonly string[]).includes(s))) {
    throw bad(`EPC rule: schemes must be a non-empty list of ${EPC_SCHEMES.join(', ')}`);
  }
  rule.schemes = [...new Set(rule.schemes)];
  rule.sgtinSerial = checkTemplate('sgtinSerial', rule.sgtinSerial, ['gtin', 'serial'], ['serial']);
  rule.ssccSerial = checkTemplate('ssccSerial', rule.ssccSerial, ['sscc'], ['sscc']);
  rule.giaiSerial = checkTemplate('giaiSerial', rule.giaiSerial, ['giai'], ['giai']);
  rule.graiSerial = checkTemplate('graiSerial', rule.graiSerial, ['grai'], ['grai']);
  if (!Array.isArray(rule.gtins) || rule.gtins.some((g) => typeof g !== 'string')) throw bad('EPC rule: gtins must be a list of GTINs');
  rule.gtins = rule.gtins.map((g) => {
    if (!/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(g)) throw bad(`EPC rule: GTIN "${g}" must have 8, 12, 13 or 14 digits`);
    const gtin = g.padStart(14, '0');
    if (gs1CheckDigit(gtin.slice(0, 13)) !== gtin[13]) throw bad(`EPC rule: GTIN "${g}" has a wrong check digit (expected ${gs1CheckDigit(gtin.slice(0, 13))})`);
    return gtin;
  });
  if (typeof rule.partUriBase !== 'string' || !/^[A-Za-z][A-Za-z0-9+.-]*:\S*$/.test(rule.partUriBase)) throw bad('EPC rule: partUriBase must be a URI prefix such as urn:partprint:part:');
  return rule;
}
