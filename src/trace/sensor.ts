/**
 * EPCIS 2.0 sensor data (sensorElementList) and partprint's measurements: a standard
 * sensor-based inspection imports as measurements, and measurements export as sensorElementList
 * with UN/ECE Recommendation 20 unit codes (the `uom` EPCIS uses) and CBV measurement types.
 */
import type { Measurement } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** unit as people write it -> [UN/ECE Rec 20 code, CBV measurement type]. */
const UNITS: Record<string, [string, string]> = {
  mm: ['MMT', 'Length'], cm: ['CMT', 'Length'], m: ['MTR', 'Length'], um: ['4H', 'Length'], 'µm': ['4H', 'Length'], nm: ['C45', 'Length'], in: ['INH', 'Length'],
  g: ['GRM', 'Mass'], kg: ['KGM', 'Mass'], mg: ['MGM', 'Mass'],
  'N·m': ['NU', 'Torque'], Nm: ['NU', 'Torque'], 'N m': ['NU', 'Torque'], N: ['NEW', 'Force'], kN: ['B47', 'Force'],
  '°C': ['CEL', 'Temperature'], C: ['CEL', 'Temperature'], degC: ['CEL', 'Temperature'], K: ['KEL', 'Temperature'],
  s: ['SEC', 'Time'], ms: ['C26', 'Time'], min: ['MIN', 'Time'], h: ['HUR', 'Time'],
  Pa: ['PAL', 'Pressure'], kPa: ['KPA', 'Pressure'], MPa: ['MPA', 'Pressure'], bar: ['BAR', 'Pressure'],
  V: ['VLT', 'Voltage'], A: ['AMP', 'ElectricCurrent'], ohm: ['OHM', 'Resistance'], 'Ω': ['OHM', 'Resistance'],
  Hz: ['HTZ', 'Frequency'], '%': ['P1', 'Dimensionless'], deg: ['DD', 'Angle'], '°': ['DD', 'Angle'],
  'mm²': ['MMK', 'Area'], 'mm2': ['MMK', 'Area'], 'mm³': ['MMQ', 'Volume'], 'mm3': ['MMQ', 'Volume'], l: ['LTR', 'Volume'],
};

/** The measurement type partprint writes when the unit says nothing CBV knows (any URI outside gs1.org/voc is allowed). */
export const PP_MEASUREMENT_TYPE = 'urn:partprint:epcis:measurement';

/** One measurement as an EPCIS sensorReport; pp:name and pp:unit keep partprint's own name and unit exactly. */
export function toSensorReport(name: string, m: Measurement): Obj {
  const known = UNITS[m.unit];
  return {
    type: known ? known[1] : PP_MEASUREMENT_TYPE,
    value: m.value,
    ...(known ? { uom: known[0] } : {}),
    'pp:name': name,
    'pp:unit': m.unit,
  };
}

/** partprint's measurements as one sensorElement (they were taken together, at the event's time). */
export function toSensorElementList(measurements: Record<string, Measurement>): Obj[] {
  return [{ sensorReport: Object.entries(measurements).map(([name, m]) => toSensorReport(name, m)) }];
}

function bareType(type: string): string {
  for (const p of ['gs1:', 'https://gs1.org/voc/', 'https://www.gs1.org/voc/']) if (type.startsWith(p)) return type.slice(p.length);
  return type;
}

/**
 * Measurements from a sensorElementList: each numeric report becomes one, named by pp:name or by
 * its type (with " #2", " #3" for repeats, in document order), its unit the report's uom
 * (a UN/ECE code) or pp:unit. Reports without a numeric value (booleanValue, stringValue,
 * alerts) stay only in the list kept as written.
 */
export function readSensorMeasurements(list: unknown, ppPrefixes: string[]): { measurements: Record<string, Measurement>; writtenByPartprint: boolean } {
  const measurements: Record<string, Measurement> = {};
  if (!Array.isArray(list)) return { measurements, writtenByPartprint: false };
  const pp = (o: Obj, name: string): unknown => {
    for (const p of [...ppPrefixes, 'pp:']) if (`${p}${name}` in o) return o[`${p}${name}`];
    return undefined;
  };
  let reports = 0;
  let named = 0;
  for (const element of list) {
    if (!isObj(element) || !Array.isArray(element.sensorReport)) continue;
    for (const r of element.sensorReport) {
      if (!isObj(r)) continue;
      reports++;
      const own = pp(r, 'name');
      if (typeof own === 'string') named++;
      const value = typeof r.value === 'number' ? r.value : typeof r.meanValue === 'number' ? r.meanValue : undefined;
      if (value === undefined || !Number.isFinite(value)) continue;
      const unitText = pp(r, 'unit');
      const unit = typeof unitText === 'string' && unitText !== '' ? unitText : typeof r.uom === 'string' ? r.uom : '1';
      let name = typeof own === 'string' ? own : typeof r.type === 'string' ? bareType(r.type) : 'value';
      if (typeof own !== 'string') {
        const base = name;
        for (let n = 2; name in measurements; n++) name = `${base} #${n}`;
      }
      measurements[name.slice(0, 100)] = { value, unit: unit.slice(0, 50) };
    }
  }
  return { measurements, writtenByPartprint: reports > 0 && named === reports };
}
