/** The CLI on GS1's real documents: --create-parts with SGTINs, the registry EPC rule, skip-and-report, and trace. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured as cli } from '../helpers/cli.js';
import { GS1_EXAMPLES } from '../epcis/gs1-examples.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-epcis-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const real = (f: string) => path.join(GS1_EXAMPLES, f);
const haveExamples = existsSync(real('Example_9.6.3-AggregationEvent.jsonld'));

describe.skipIf(!haveExamples && process.env.PARTPRINT_REQUIRE_ALL !== '1')('partprint events import-epcis / trace on GS1 documents', () => {
  const d = ['--data', path.join(dir, 'data')];

  it('imports GS1 examples with --create-parts, skips what it does not store on request, and traces the aggregation', async () => {
    const objects = await cli('events', 'import-epcis', real('Example_9.6.1-ObjectEvent.jsonld'), '--create-parts', '--json', ...d);
    expect(objects.code).toBe(0);
    expect(JSON.parse(objects.out)).toMatchObject({ committed: true, imported: 3, createdParts: ['10614141073464.2017', '10614141073464.2018'], validation: 'gs1-schema' });
    const agg = await cli('events', 'import-epcis', real('Example_9.6.3-AggregationEvent.jsonld'), '--create-parts', ...d);
    expect(agg.code).toBe(0);
    expect(agg.err).toMatch(/imported 2 event\(s\)/);

    // A TransformationEvent refuses the document by default (exit 3, nothing stored), and is skipped and listed on request.
    const strict = await cli('events', 'import-epcis', real('Example_9.6.4-TransformationEvent.jsonld'), '--create-parts', ...d);
    expect(strict.code).not.toBe(0);
    expect(strict.err).toMatch(/TransformationEvent is not stored by partprint/);
    const skip = await cli('events', 'import-epcis', real('Example_9.6.4-TransformationEvent.jsonld'), '--create-parts', '--skip-unsupported', ...d);
    expect(skip.code).toBe(0);
    expect(skip.err).toMatch(/skipped 1 event\(s\) partprint does not store:\n {2}skipped event 0 .*TransformationEvent is not stored/);

    const up = await cli('trace', 'containers', 'urn:epc:id:sgtin:0614141.107346.2017', '--json', ...d);
    expect(up.code).toBe(0);
    expect(JSON.parse(up.out).parts[0].containers.map((c: { key: string }) => c.key)).toEqual(['106141412345678908']);
    const down = await cli('trace', 'inside', 'urn:epc:id:sscc:0614141.1234567890', ...d);
    expect(down.code).toBe(0);
    expect(down.out).toMatch(/^106141412345678908 \[\]|^106141412345678908/);
    expect(down.out).toMatch(/├─ 10614141073464\.2017 \[10614141073464\] {2}since 2013-06-08T14:58:56\.591Z\n└─ 10614141073464\.2018/);
  });

  it('sets the EPC rule once, and refuses a bad rule and an invalid document with the reason', async () => {
    const set = await cli('events', 'epc-rule', '--set', '{"sgtinSerial":"{serial}","gtins":["04012345111118"]}', ...d);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.out)).toMatchObject({ sgtinSerial: '{serial}', gtins: ['04012345111118'] });
    expect(JSON.parse((await cli('events', 'epc-rule', ...d)).out).sgtinSerial).toBe('{serial}');
    const sensor = await cli('events', 'import-epcis', real('WithSensorData/SensorDataExample1.jsonld'), '--create-parts', '--json', ...d);
    expect(sensor.code).toBe(0);
    expect(JSON.parse(sensor.out).createdParts).toEqual(['9876']);
    const history = JSON.parse((await cli('events', 'list', '9876', '--json', ...d)).out);
    expect(history[0]).toMatchObject({ type: 'inspected', fields: { measurements: { Temperature: { value: 26, unit: 'CEL' }, 'Temperature #3': { value: 26.2, unit: 'CEL' } } } });
    const bad = await cli('events', 'epc-rule', '--set', '{"sgtinSerial":"{gtin}"}', ...d);
    expect(bad.code).toBe(3);
    expect(bad.err).toMatch(/must contain \{serial\}/);

    const words = path.join(dir, 'twenty.jsonld');
    writeFileSync(words, JSON.stringify({ '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-01-01T00:00:00Z', epcisBody: { eventList: [{ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'transforming', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', epcList: [], quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.998877', quantity: 'twenty' }] }] } }));
    const invalid = await cli('events', 'import-epcis', words, '--create-parts', '--skip-unsupported', ...d);
    expect(invalid.code).toBe(3);
    expect(invalid.err).toMatch(/not a valid EPCIS 2.0 document.*bizStep "transforming".*quantity: must be a number, got "twenty"/);
  });
});
