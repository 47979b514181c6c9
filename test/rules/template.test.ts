import t from 'tap';
import { Template } from '../../agent/rules/template';

const data = { labels: { instance: 'host:9100', device: 'sda1', mountpoint: '/srv', job: 'node' }, externalLabels: { cluster: 'eu1' }, externalUrl: 'http://x:9477', value: 4.567 };
const x = (src: string, d = data) => new Template(src).expand(d);

t.test('node-mixin and kube-prometheus annotations expand as Prometheus expands them', async (t) => {
  t.equal(
    x('Filesystem on {{ $labels.device }}, mounted on {{ $labels.mountpoint }}, at {{ $labels.instance }} has only {{ printf "%.2f" $value }}% available space left and is filling up.'),
    'Filesystem on sda1, mounted on /srv, at host:9100 has only 4.57% available space left and is filling up.',
  );
  t.equal(x('{{ $value | humanizePercentage }} of conntrack entries are used.', { ...data, value: 0.8123 }), '81.23% of conntrack entries are used.');
  t.equal(x('{{ $labels.instance }} has {{ $value | humanize }} open fds'), 'host:9100 has 4.567 open fds');
  t.equal(x('{{ .Labels.job }}/{{ .Value }}'), 'node/4.567');
  t.equal(x('{{ $externalLabels.cluster }} {{ $externalURL }}'), 'eu1 http://x:9477');
  t.equal(x('{{ $labels.missing }}'), '', 'a missing label is empty (Prometheus expands with missingkey=zero)');
  t.equal(new Template('at {{ .Labels.instance }}.').expand({ ...data, labels: {} }), 'at .');
  t.equal(x('{{ $labels.constructor }}'), '', "only the map's own keys");
  t.equal(x('{{ humanizeDuration 3725 }}'), '1h 2m 5s');
  t.equal(x('{{ $labels.job | title }} {{ toUpper "a" }}{{ toLower "B" }}'), 'Node Ab');
});

t.test('if/else if/else/end, with, variables, trims, comments', async (t) => {
  const src = '{{ if gt $value 5.0 }}high{{ else if gt $value 4.0 }}mid{{ else }}low{{ end }}';
  t.equal(x(src), 'mid');
  t.equal(x(src, { ...data, value: 9 }), 'high');
  t.equal(x(src, { ...data, value: 1 }), 'low');
  t.equal(x('{{ with $labels.device }}dev={{ . }}{{ end }}'), 'dev=sda1');
  t.equal(x('{{ with $labels.nope }}x{{ else }}none{{ end }}'), 'none');
  t.equal(x('{{ $d := $labels.device }}[{{ $d }}]'), '[sda1]');
  t.equal(x('a  {{- " b " -}}  c'), 'a b c');
  t.equal(x('a{{/* note */}}b'), 'ab');
  t.equal(x('{{ printf "%s:%s" (stripPort $labels.instance) $labels.job }}'), 'host:node');
  t.equal(x('{{ reReplaceAll "(.*):.*" "$1" $labels.instance }}'), 'host');
});

t.test('bad templates are refused when parsed, failures at expansion are reported in the text', async (t) => {
  t.throws(() => new Template('{{ $labels.x '), /unclosed action/);
  t.throws(() => new Template('{{ nosuchfn $value }}'), /function "nosuchfn" not defined/);
  t.throws(() => new Template('{{ query "up" }}'), /function "query" not defined/);
  t.throws(() => new Template('{{ range $labels }}x{{ end }}'), /range.*not supported/);
  t.throws(() => new Template('{{ if $value }}x'), /without \{\{end\}\}/);
  t.throws(() => new Template('{{ $nope }}'), /undefined variable/);
  t.throws(() => new Template('{{ end }}'), /unexpected/);
  t.match(x('{{ humanize "abc" }}'), /^<error expanding template: error calling humanize: /);
  t.equal(new Template('plain text').expand(data), 'plain text');
});
