import t from 'tap';
import { conformanceSuite } from './conformance';

conformanceSuite(t, 'ts');
