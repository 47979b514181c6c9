/**
 * The live page's files, from the package only (no CDN: the page works offline): the HTML, script and style sheet
 * kept in page/, and uPlot's two files from its npm package, through this fixed allow-list.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StaticFile, StaticFiles } from '../exposition/static';
import { liveCss } from './page/live-css';
import { liveHtml } from './page/live-html';
import { liveJs } from './page/live-js';

function uplotFile(name: string): () => Buffer {
  return () => readFileSync(join(dirname(require.resolve('uplot/package.json')), 'dist', name));
}

/** URL path → file: the whole allow-list. */
export const liveFiles: Readonly<Record<string, StaticFile>> = {
  '/': { type: 'text/html; charset=utf-8', load: () => Buffer.from(liveHtml) },
  '/live/live.js': { type: 'text/javascript; charset=utf-8', load: () => Buffer.from(liveJs) },
  '/live/live.css': { type: 'text/css; charset=utf-8', load: () => Buffer.from(liveCss) },
  '/live/uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', load: uplotFile('uPlot.iife.min.js') },
  '/live/uPlot.min.css': { type: 'text/css; charset=utf-8', load: uplotFile('uPlot.min.css') },
};

export function liveAssets(): StaticFiles {
  return new StaticFiles(liveFiles);
}
