import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/cli.js';
import { epcisSchemaErrors } from '../../src/trace/epcis-schema.test-helper.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-events-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = runCliCaptured;

describe('partprint events', () => {
  const data = path.join(dir, 'data');
  const d = ['--data', data];

  it('records, lists, corrects and counts events', async () => {
    expect((await cli('parts', 'add', 'SN-1', '--attr', 'tray_position=A1', ...d)).code).toBe(0);
    const add = await cli('events', 'add', 'SN-1', '--type', 'installed', '--torque', '25', '--position', 'wheel 3', '--actor', 'fitter 7', '--place', 'Line 3', '--time', '2026-11-21T10:00:00+01:00', '--recorded-by', 'alice', '--json', ...d);
    expect(add.code).toBe(0);
    expect(JSON.parse(add.out)).toMatchObject({ id: 1, type: 'installed', fields: { torqueNm: 25, position: 'wheel 3' }, occurredAt: '2026-11-21T09:00:00.000Z', timeZoneOffset: '+01:00', recordedBy: 'alice' });
    const insp = await cli('events', 'add', 'SN-1', '--type', 'inspected', '--result', 'fail', '--measure', 'bore=12.04mm', '--measure', 'mass=3.1 g', '--time', '2026-11-22T08:00:00Z', ...d);
    expect(insp.code).toBe(0);
    expect(insp.out).toMatch(/inspected\s+result fail, bore 12\.04 mm, mass 3\.1 g/);
    const fix = await cli('events', 'add', 'SN-1', '--type', 'inspected', '--result', 'pass', '--corrects', '2', '--notes', 'gauge misread', '--time', '2026-11-22T08:00:00Z', ...d);
    expect(fix.code).toBe(0);

    const list = await cli('events', 'list', 'SN-1', '--json', ...d);
    const history = JSON.parse(list.out) as Array<{ id: number; correctedBy: number | null; effective: boolean; fields: object }>;
    expect(history.map((h) => [h.id, h.correctedBy, h.effective])).toEqual([[1, null, true], [2, 3, false], [3, null, true]]);
    expect(history[1].fields).toEqual({ result: 'fail', measurements: { bore: { value: 12.04, unit: 'mm' }, mass: { value: 3.1, unit: 'g' } } });
    expect((await cli('events', 'list', 'SN-1', ...d)).out).toMatch(/#1 {2}2026-11-21T10:00:00\.000\+01:00 {2}installed +25 N·m, at wheel 3 {2}place: Line 3 {2}by fitter 7\n#2 .*\[corrected by #3\]\n#3 .*corrects #2/);
    expect(JSON.parse((await cli('events', 'list', 'SN-1', '--effective', '--type', 'inspected', '--json', ...d)).out).map((h: { id: number }) => h.id)).toEqual([3]);

    const count = await cli('events', 'count', '--by', 'tray_position', '--type', 'inspected', '--where', 'result=fail', '--include-corrected', '--json', ...d);
    expect(JSON.parse(count.out)).toEqual([{ key: 'A1', events: 1, parts: 1 }]);
    expect(JSON.parse((await cli('events', 'count', '--by', 'tray_position', '--type', 'inspected', '--where', 'result=fail', '--json', ...d)).out)).toEqual([]);
    expect(JSON.parse((await cli('events', 'show', '3', '--json', ...d)).out)).toMatchObject({ id: 3, correctsEventId: 2, notes: 'gauge misread' });
  });

  it('exits with codes that name the problem', async () => {
    const wrongField = await cli('events', 'add', 'SN-1', '--type', 'shipped', '--torque', '3', ...d);
    expect(wrongField).toMatchObject({ code: 3, err: expect.stringMatching(/event field "torqueNm" does not belong to shipped events/) });
    expect(await cli('events', 'add', 'NOPE', '--type', 'observed', ...d)).toMatchObject({ code: 4, err: expect.stringMatching(/part "NOPE" is not registered/) });
    expect(await cli('events', 'add', 'SN-1', '--type', 'observed', '--corrects', '2', '--notes', 'again', ...d)).toMatchObject({ code: 5, err: expect.stringMatching(/already corrected by event 3/) });
    expect((await cli('events', 'add', 'SN-1', '--type', 'installed', '--torque', 'tight', ...d)).code).toBe(2);
    expect((await cli('events', 'add', 'SN-1', ...d)).code).toBe(2);
    expect(await cli('events', 'show', '99', ...d)).toMatchObject({ code: 4 });
    expect(JSON.parse((await cli('events', 'list', 'SN-1', '--json', ...d)).out)).toHaveLength(3);
  });

  it('exports EPCIS 2.0 and imports it all-or-nothing into another registry', async () => {
    const file = path.join(dir, 'history.jsonld');
    const exp = await cli('events', 'export-epcis', '--out', file, ...d);
    expect(exp).toMatchObject({ code: 0, err: `wrote 3 event(s) to ${file}\n` });
    const doc = JSON.parse(readFileSync(file, 'utf8')) as object;
    expect(epcisSchemaErrors(doc)).toEqual([]);

    const d2 = ['--data', path.join(dir, 'data2')];
    const refused = await cli('events', 'import-epcis', file, ...d2);
    expect(refused).toMatchObject({ code: 4, err: expect.stringMatching(/nothing imported\n {2}unknown part: urn:partprint:part:SN-1/) });
    const ok = await cli('events', 'import-epcis', file, '--create-parts', '--json', ...d2);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ committed: true, imported: 3, createdParts: ['SN-1'] });
    const again = await cli('events', 'import-epcis', file, ...d2);
    expect(again).toMatchObject({ code: 0, err: expect.stringMatching(/imported 0 event\(s\), 3 already present/) });
    const strip = (s: string) => (JSON.parse(s) as Array<Record<string, unknown>>).map(({ id: _i, partId: _p, correctedBy: _c, correctsEventId: _x, ...r }) => r);
    expect(strip((await cli('events', 'list', 'SN-1', '--json', ...d2)).out)).toEqual(strip((await cli('events', 'list', 'SN-1', '--json', ...d)).out));

    writeFileSync(path.join(dir, 'broken.json'), '{"type": "EPCISDocument",');
    expect(await cli('events', 'import-epcis', path.join(dir, 'broken.json'), ...d2)).toMatchObject({ code: 3, err: expect.stringMatching(/broken\.json: not valid JSON/) });
    expect((await cli('events', 'import-epcis', path.join(dir, 'absent.json'), ...d2)).code).toBe(4);
  });
});
