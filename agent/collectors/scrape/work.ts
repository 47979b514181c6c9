/**
 * Whether a config gives the scraper anything to do, read without the scraper's target parsing (./options.ts and
 * what it brings), so an agent with nothing to scrape never loads it. True where ./index.ts may build a scraper:
 * scraping enabled and a static target, a file_sd config or a pod annotation asking for a scrape.
 */
import type { Config } from '../../config/config';

export function hasScrapeWork(config: Config): boolean {
  if (!config.bool('scrape.enabled')) return false;
  return config.get<unknown[]>('scrape.targets').length > 0 || config.get<unknown[]>('scrape.file_sd_configs').length > 0 || config.string('scrape.annotations.scrape').trim().toLowerCase() === 'true';
}
