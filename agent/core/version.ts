import { packageVersion } from './package-root';

export const version = packageVersion() || '0.0.0-unknown';
