// OpenTelemetry → Prometheus names (the compatibility specification's suffix rules) and the exponential-histogram
// bucket arithmetic.
import t from 'tap';
import { prometheusLabel, prometheusName } from '../../../agent/collectors/otlp/names';
import { add, subtract, toSketch } from '../../../agent/collectors/otlp/exp-histogram';

t.test('metric names get unit words and _total', async (t) => {
  t.equal(prometheusName('http.server.duration', 's', 'other'), 'http_server_duration_seconds');
  t.equal(prometheusName('http.server.request.size', 'By', 'other'), 'http_server_request_size_bytes');
  t.equal(prometheusName('requests', '{request}', 'counter'), 'requests_total');
  t.equal(prometheusName('requests_total', '1', 'counter'), 'requests_total');
  t.equal(prometheusName('cpu.utilization', '1', 'gauge'), 'cpu_utilization_ratio');
  t.equal(prometheusName('speed', 'm/s', 'gauge'), 'speed_meters_per_second');
  t.equal(prometheusName('throughput', 'By/s', 'counter'), 'throughput_bytes_per_second_total');
  t.equal(prometheusName('latency_seconds', 's', 'other'), 'latency_seconds', 'no second unit suffix');
  t.equal(prometheusName('db..query  time', 'ms', 'other'), 'db_query_time_milliseconds');
  t.equal(prometheusName('2xx.count', '', 'counter'), '_2xx_count_total');
  t.equal(prometheusName('temp', 'Cel', 'gauge'), 'temp_celsius');
  t.equal(prometheusName('odd', 'widgets', 'gauge'), 'odd_widgets', 'unknown units are kept as words');
});

t.test('label names', async (t) => {
  t.equal(prometheusLabel('http.method'), 'http_method');
  t.equal(prometheusLabel('0abc'), 'key_0abc');
  t.equal(prometheusLabel('_private'), 'key_private');
  t.equal(prometheusLabel('__reserved'), 'key__reserved');
});

t.test('exponential histograms add and subtract across scales', async (t) => {
  // scale 1: base sqrt(2); buckets 0..3 cover (1, 1.41], (1.41, 2], (2, 2.83], (2.83, 4].
  const fine = { scale: 1, count: 10, sum: 20, zero: 0, positive: { offset: 0, counts: [1, 2, 3, 4] }, negative: { offset: 0, counts: [] } };
  const coarse = { scale: 0, count: 3, sum: 6, zero: 1, positive: { offset: 0, counts: [1, 1] }, negative: { offset: 0, counts: [] } };
  const sum = add(fine, coarse);
  t.equal(sum.scale, 0);
  t.same(sum.positive, { offset: 0, counts: [4, 8] });
  t.equal(sum.count, 13);
  t.equal(sum.zero, 1);
  const back = subtract(sum, coarse)!;
  t.same(back.positive, { offset: 0, counts: [3, 7] });
  t.equal(subtract(coarse, sum), undefined, 'a smaller cumulative is a reset');
  const sk = toSketch(fine);
  t.equal(sk.count, 10);
  const p90 = sk.quantile(0.9);
  t.ok(p90 > 2.83 && p90 <= 4.05, `p90 ${p90} falls in the top bucket`);
});
