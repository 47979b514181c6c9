// Every section of the schema registers itself here; order only affects the order of --help and outrider.yaml.
import './core';
import './collectors';
import '../../collectors/gpu/keys';
import './statsd';
import './deploy';
import './injector';
import './report';
import './aggregator';
import './scrape';
import './otlp';
