/** The live page's style sheet, served as /live/live.css. */
export const liveCss = `body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { display: flex; gap: 1em; align-items: baseline; flex-wrap: wrap; padding: 8px 16px; background: #1f2d3d; color: #eee; }
header h1 { font-size: 16px; margin: 0; }
header a { color: #9cf; margin-right: 0.6em; }
nav { margin-left: auto; }
#status.ok { color: #7d7; }
#status.warn { color: #fc6; }
.banner { background: #d9534f; color: #fff; padding: 6px 16px; font-weight: bold; }
section { padding: 4px 16px; }
h2 { font-size: 14px; margin: 10px 0 4px; border-bottom: 1px solid #ccc; }
h3 { font-size: 12px; margin: 4px 0; font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 8px; }
.panel { background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 4px 6px; min-width: 0; }
.plot { width: 100%; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border-bottom: 1px solid #eee; padding: 2px 8px; text-align: left; }
.none { color: #888; margin: 2px 0; }
`;
