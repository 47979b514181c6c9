import t from 'tap';
import { statsdSuite } from './suite';

statsdSuite(t, 'ts');
