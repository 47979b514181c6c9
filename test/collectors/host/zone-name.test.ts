import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { localZone } from '../../../agent/collectors/host/time';
import { parsePosixTz, tzifFooter, zoneAbbreviation, ZoneSource } from '../../../agent/collectors/host/zone-name';

/** A TZif v2 file as far as the footer reader cares: magic, version, a body (with a newline byte in it), the footer. */
const tzif = (footer: string, version = '2') => Buffer.concat([Buffer.from(`TZif${version}`), Buffer.alloc(20), Buffer.from([0x0a, 0x01]), Buffer.alloc(20), Buffer.from(`\n${footer}\n`)]);

const source = (files: Record<string, Buffer>, tz?: string): ZoneSource => ({
  tz,
  zoneinfo: '/zi',
  localtime: '/etc/localtime',
  read: (p) => files[p],
});

t.test('POSIX TZ strings: names, offsets east of UTC, the default daylight offset, bracketed names', async (t) => {
  t.same(parsePosixTz('UTC0'), { std: 'UTC', stdOffset: 0 });
  t.same(parsePosixTz('CET-1CEST,M3.5.0,M10.5.0/3'), { std: 'CET', stdOffset: 3600, dst: 'CEST', dstOffset: 7200 });
  t.same(parsePosixTz('PST8PDT,M3.2.0,M11.1.0'), { std: 'PST', stdOffset: -28800, dst: 'PDT', dstOffset: -25200 });
  t.same(parsePosixTz('IST-5:30'), { std: 'IST', stdOffset: 19800 });
  t.same(parsePosixTz('<-03>3'), { std: '-03', stdOffset: -10800 });
  t.same(parsePosixTz('<+1030>-10:30<+11>-11,M10.1.0,M4.1.0'), { std: '+1030', stdOffset: 37800, dst: '+11', dstOffset: 39600 });
  t.same(parsePosixTz('NZST-12NZDT-13,M9.5.0,M4.1.0/3'), { std: 'NZST', stdOffset: 43200, dst: 'NZDT', dstOffset: 46800 });
  for (const bad of ['', 'UT0', 'CET', '<CET-1', 'CET-1C', 'CET-1CEST-2x', 'Europe/Berlin']) t.equal(parsePosixTz(bad), undefined, bad);
});

t.test('TZif footers: only version 2+ files ending in a printable line', async (t) => {
  t.equal(tzifFooter(tzif('CET-1CEST,M3.5.0,M10.5.0/3')), 'CET-1CEST,M3.5.0,M10.5.0/3');
  t.equal(tzifFooter(tzif('UTC0', '3')), 'UTC0');
  t.equal(tzifFooter(tzif('CET-1', '\0')), undefined, 'version 1 has no footer');
  t.equal(tzifFooter(Buffer.concat([Buffer.from('JUNK2'), Buffer.alloc(40), Buffer.from('\nUTC0\n')])), undefined, 'no magic');
  t.equal(tzifFooter(tzif('UTC0').subarray(0, -1)), undefined, 'no final newline');
  t.equal(tzifFooter(tzif('CET\x01-1')), undefined, 'not printable');
  t.equal(tzifFooter(Buffer.from('TZif2\n')), undefined, 'too short');
});

t.test('the zone comes from TZ or /etc/localtime, the abbreviation from the current offset', async (t) => {
  const berlin = tzif('CET-1CEST,M3.5.0,M10.5.0/3');
  t.equal(zoneAbbreviation(3600, source({ '/etc/localtime': berlin })), 'CET');
  t.equal(zoneAbbreviation(7200, source({ '/etc/localtime': berlin })), 'CEST');
  t.equal(zoneAbbreviation(0, source({ '/etc/localtime': berlin })), undefined, 'an offset of neither: left to the caller');
  t.equal(zoneAbbreviation(0, source({})), 'UTC', 'no local time file: UTC, as the C library and Go take it');
  t.equal(zoneAbbreviation(3600, source({})), undefined);
  t.equal(zoneAbbreviation(-28800, source({ '/zi/America/Los_Angeles': tzif('PST8PDT,M3.2.0,M11.1.0') }, 'America/Los_Angeles')), 'PST');
  t.equal(zoneAbbreviation(-25200, source({ '/zi/America/Los_Angeles': tzif('PST8PDT,M3.2.0,M11.1.0') }, ':America/Los_Angeles')), 'PDT');
  t.equal(zoneAbbreviation(19800, source({ '/tz/kolkata': tzif('IST-5:30') }, '/tz/kolkata')), 'IST', 'an absolute path');
  t.equal(zoneAbbreviation(-18000, source({}, 'EST5EDT,M3.2.0,M11.1.0')), 'EST', 'a POSIX string in TZ');
  t.equal(zoneAbbreviation(0, source({}, '')), 'UTC', 'TZ set empty is UTC');
  t.equal(zoneAbbreviation(0, source({ '/zi/../etc/x': tzif('UTC0') }, '../etc/x')), undefined, 'no climbing out of the zoneinfo directory');
  t.equal(zoneAbbreviation(3600, source({ '/etc/localtime': tzif('CET-1', '\0') })), undefined, 'a version 1 file');
});

t.test('localZone uses the file, not Intl, and falls back to Intl when the file cannot tell', async (t) => {
  const real = Intl.DateTimeFormat;
  let built = 0;
  // Counts the formatters built while the test runs.
  (Intl as { DateTimeFormat: unknown }).DateTimeFormat = function (...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
    built++;
    return new real(...args);
  };
  t.teardown(() => {
    (Intl as { DateTimeFormat: unknown }).DateTimeFormat = real;
  });
  const now = Date.UTC(2026, 0, 15);
  const offset = -new Date(now).getTimezoneOffset() * 60;
  const west = offset <= 0 ? `+${-offset / 3600}` : `-${offset / 3600}`;
  const z = localZone(now, source({ '/etc/localtime': tzif(`<ZZZ>${west}`) }));
  t.same(z, { name: 'ZZZ', offsetSeconds: offset });
  t.equal(built, 0, 'no Intl formatter for a zone the file names');
  const fallback = localZone(now, source({ '/etc/localtime': tzif(`<ZZZ>${offset <= 0 ? '+99' : '-99'}`) }));
  t.equal(fallback.offsetSeconds, offset);
  t.type(fallback.name, 'string');
  t.ok(fallback.name.length > 0);
});

// The C library's own answer (`date +%Z` under TZ=zone) for this machine's tzdata, winter and summer of the year.
const zones = ['Europe/Berlin', 'America/Los_Angeles', 'Asia/Kolkata', 'Etc/UTC', 'Australia/Lord_Howe', 'America/Sao_Paulo', 'Pacific/Auckland'];
t.test('agrees with the C library on the installed zoneinfo', { skip: !existsSync('/usr/share/zoneinfo/Europe/Berlin') && 'no zoneinfo installed' }, async (t) => {
  for (const zone of zones) {
    if (!existsSync(`/usr/share/zoneinfo/${zone}`)) continue;
    for (const at of [Date.UTC(2026, 0, 15) / 1000, Date.UTC(2026, 6, 15) / 1000]) {
      const [off, abbr] = execFileSync('date', ['-d', `@${at}`, '+%z %Z'], { env: { TZ: zone }, encoding: 'utf8' })
        .trim()
        .split(' ');
      const sign = off!.startsWith('-') ? -1 : 1;
      const seconds = sign * (Number(off!.slice(1, 3)) * 3600 + Number(off!.slice(3, 5)) * 60);
      const src: ZoneSource = { tz: zone, zoneinfo: '/usr/share/zoneinfo', localtime: '/etc/localtime', read: (p) => readFileSync(p) };
      t.equal(zoneAbbreviation(seconds, src), abbr, `${zone} at ${at}`);
    }
  }
});
