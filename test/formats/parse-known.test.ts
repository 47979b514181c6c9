import t from 'tap';
import { parseText, TextParser } from '../../agent/formats/parse';

t.test('plain decimals read without a string are exactly what Number reads', async (t) => {
  const vals: string[] = ['0', '-0', '1.5', '-2.25', '123456789012345', '0.1', '0.3', '9.999999999999', '12345678901234.5', '1.', '.5', '007', '1e3'];
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 3000; i++) {
    const int = String(Math.floor(rnd() * 10 ** Math.floor(rnd() * 15)));
    const frac = rnd() < 0.5 ? '' : '.' + String(Math.floor(rnd() * 10 ** Math.floor(1 + rnd() * 10)));
    vals.push((rnd() < 0.3 ? '-' : '') + int + frac);
  }
  const body = vals.map((v, i) => `m{i="${i}"} ${v}`).join('\n') + '\n';
  const got = parseText(body).families[0]!.samples.map((s) => s.value);
  const bad = vals.filter((v, i) => !Object.is(got[i], Number(v)));
  t.same(bad, [], 'every value as Number reads it');
});

t.test('known: offered the series text of well-formed lines; a taken line skips the sink', async (t) => {
  const offered: string[] = [];
  const sunk: string[] = [];
  const p = new TextParser((s) => sunk.push(`${s.raw} ${s.value}`), {
    onError: () => undefined,
    known: (line, end, value, ts, fam) => {
      const raw = line.slice(0, end);
      offered.push(`${raw} ${value} ${ts} ${fam.name}`);
      return raw === 'a{x="}"}';
    },
  });
  p.write('# TYPE a gauge\na{x="}"} 1 5\na{x="\\"q"}  2\nb 3\nbad{x="1" 4\nc{x="1"} nope\n');
  p.end();
  t.same(offered, ['a{x="}"} 1 5 a', 'a{x="\\"q"} 2 undefined a', 'b 3 undefined b']);
  t.same(sunk, ['a{x="\\"q"} 2', 'b 3']);
});
