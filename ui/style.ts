/** The UI's one stylesheet: dense tables, system fonts, dark mode that follows the OS. */

/** CSS served at `/_mlt/assets/style.css`. */
export const CSS = `
:root{--bg:#fff;--fg:#1d2330;--muted:#5f6b7a;--line:#e2e6eb;--soft:#f5f7f9;--accent:#0b63c5;
--accent-bg:#e8f1fc;--ok:#137333;--ok-bg:#e6f4ea;--bad:#b3261e;--bad-bg:#fce8e6;--run:#0b63c5;
--run-bg:#e8f1fc;--warn:#8a5a00;--warn-bg:#fff4d6;--diff:#fff4d6;--code:#f2f4f7;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#15181d;--fg:#e3e7ed;--muted:#9aa5b4;--line:#2c323b;
--soft:#1c2027;--accent:#6aa9ff;--accent-bg:#1b2a40;--ok:#7fd49a;--ok-bg:#16301f;--bad:#ff8a80;
--bad-bg:#3a1a18;--run:#6aa9ff;--run-bg:#1b2a40;--warn:#f2c66d;--warn-bg:#3a2f12;--diff:#3a2f12;
--code:#1f242c}}
*{box-sizing:border-box}
html,body{margin:0;background:var(--bg);color:var(--fg)}
body{font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible,
textarea:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{background:var(--code);padding:8px;overflow:auto;border-radius:4px;max-height:480px}
header.top{display:flex;align-items:center;gap:16px;padding:6px 16px;border-bottom:1px solid var(--line);
background:var(--soft)}
header.top .brand{font-weight:700;color:var(--fg);font-size:15px}
header.top nav{display:flex;gap:12px}
header.top .ver{margin-left:auto;color:var(--muted);font-size:12px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px}
.shell{display:grid;grid-template-columns:240px minmax(0,1fr);min-height:calc(100vh - 37px);
background:linear-gradient(to right,var(--soft) 239px,var(--line) 239px 240px,transparent 240px)}
.shell.wide{grid-template-columns:minmax(0,1fr);background:none}
aside.side{padding:10px;overflow:auto;max-height:100vh;position:sticky;top:0;align-self:start}
aside.side h2{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:4px 0 8px}
aside.side ul{list-style:none;margin:8px 0;padding:0}
aside.side li a{display:block;padding:3px 6px;border-radius:4px;color:var(--fg);overflow:hidden;
text-overflow:ellipsis;white-space:nowrap}
aside.side li a[aria-current]{background:var(--accent-bg);color:var(--accent);font-weight:600}
aside.side li a:hover{background:var(--accent-bg);text-decoration:none}
main{padding:12px 18px;min-width:0}
h1{font-size:18px;margin:2px 0 8px}h2{font-size:15px;margin:18px 0 6px}h3{font-size:13px;margin:12px 0 4px}
.crumbs{color:var(--muted);font-size:12px;margin-bottom:2px}
.muted{color:var(--muted)}.small{font-size:12px}
input,select,textarea,button{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--line);
border-radius:4px;padding:3px 6px}
button,.btn{cursor:pointer;background:var(--soft);border:1px solid var(--line);border-radius:4px;
padding:3px 8px;color:var(--fg);display:inline-block}
button.primary{background:var(--accent);color:var(--bg);border-color:var(--accent)}
button.danger{color:var(--bad)}
input[type=search],input.wide{width:100%}
form.inline{display:inline-flex;gap:6px;align-items:center;margin:0}
.toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:6px 0}
.filter{display:flex;gap:6px;align-items:center;margin:6px 0}
.filter input[name=filter]{flex:1;font-family:ui-monospace,Menlo,Consolas,monospace}
.error{background:var(--bad-bg);color:var(--bad);border-radius:4px;padding:6px 8px;margin:6px 0}
.error pre{background:transparent;padding:0;margin:4px 0 0;color:inherit}
table{border-collapse:collapse;width:100%}
.tablewrap{overflow-x:auto;border:1px solid var(--line);border-radius:4px}
table.grid th,table.grid td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;
white-space:nowrap;max-width:320px;overflow:hidden;text-overflow:ellipsis;vertical-align:top}
table.grid thead th{position:sticky;top:0;background:var(--soft);z-index:1;font-weight:600}
table.grid th.grp{color:var(--muted);font-weight:500;font-size:11px;text-transform:uppercase}
table.grid tbody tr:hover{background:var(--soft)}
table.grid td.num{text-align:right;font-variant-numeric:tabular-nums}
table.kv th{width:130px;color:var(--muted);font-weight:500}
table.fit{width:auto;min-width:50%}
table.grid th .grp{display:block;color:var(--muted);font-weight:400;font-size:10px;line-height:1;
text-transform:uppercase;letter-spacing:.04em}
table.kv th,table.kv td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;
word-break:break-word}
tr.diff td{background:var(--diff)}
tr.child td:nth-child(2){padding-left:24px}
th a.sort{color:inherit}th a.sort[data-active]{color:var(--accent)}
.badge{display:inline-block;padding:0 6px;border-radius:9px;font-size:11px;font-weight:600;line-height:17px}
.badge.FINISHED{background:var(--ok-bg);color:var(--ok)}.badge.FAILED{background:var(--bad-bg);color:var(--bad)}
.badge.RUNNING{background:var(--run-bg);color:var(--run)}.badge.KILLED{background:var(--warn-bg);color:var(--warn)}
.badge.READY{background:var(--ok-bg);color:var(--ok)}
.badge.PENDING,.badge.UNSPECIFIED{background:var(--soft);color:var(--muted)}
.badge.SCHEDULED{background:var(--soft);color:var(--muted)}.badge.deleted{background:var(--bad-bg);color:var(--bad)}
.pager{display:flex;gap:12px;align-items:center;margin:8px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:12px}
figure.chart{margin:0;border:1px solid var(--line);border-radius:4px;padding:6px 8px;min-width:0}
figure.chart figcaption{display:flex;align-items:center;gap:8px;font-weight:600;margin-bottom:2px}
figure.chart figcaption .muted{margin-left:auto;font-weight:400}
figure.chart svg{display:block;width:100%;height:auto}
svg .axis{stroke:var(--line)}svg text{fill:var(--muted);font-size:10px}
svg polyline{fill:none;stroke-width:1.5;stroke-linejoin:round}
.legend{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:12px;margin-top:4px}
.legend i{display:inline-block;width:10px;height:3px;vertical-align:middle;margin-right:4px}
figure.chart{position:relative}figure.chart svg.static{touch-action:none;cursor:crosshair;user-select:none}
svg polyline.strong{stroke-width:2.4}svg .band{fill-opacity:.16;stroke:none}
svg text.xtitle{font-size:10px}
svg g.hover line.cross{stroke:var(--muted);stroke-dasharray:3 3}
svg g.hover polyline.hl{fill:none;stroke-width:2.6;stroke-linejoin:round}
svg g.hover circle.pt{stroke:var(--bg);stroke-width:1.5}
svg g.hover rect.sel{fill:var(--accent);fill-opacity:.12}
figure.chart .tip{position:absolute;z-index:4;pointer-events:none;background:var(--bg);
border:1px solid var(--line);border-radius:4px;padding:4px 8px;font-size:11px;box-shadow:0 2px 8px #0002;
max-width:360px;white-space:nowrap;overflow:hidden}
figure.chart .tip .x{color:var(--muted);margin-bottom:2px}figure.chart .tip .near{font-weight:700}
figure.chart .tip i{display:inline-block;width:8px;height:8px;border-radius:2px;margin-right:5px}
figure.chart .extremes{margin:2px 0 0}
i.sw{display:inline-block;width:9px;height:9px;border-radius:2px;margin-right:5px;vertical-align:-1px;flex:none}
span.at{margin-left:4px}
svg.icon{fill:none;stroke:currentColor;stroke-width:1.3;stroke-linecap:round;stroke-linejoin:round;
vertical-align:-2px;margin-right:4px;flex:none}
.tag{display:inline-block;background:var(--soft);border:1px solid var(--line);border-radius:9px;
padding:0 6px;margin-left:6px}
nav.tabs{display:flex;gap:2px;border-bottom:1px solid var(--line);margin:10px 0 6px}
nav.tabs a{padding:5px 14px;border:1px solid transparent;border-bottom:none;border-radius:4px 4px 0 0;
color:var(--muted)}
nav.tabs a[aria-current]{border-color:var(--line);background:var(--bg);color:var(--fg);font-weight:600;
margin-bottom:-1px}
details.about{margin:4px 0}details.about>summary{color:var(--muted);cursor:pointer}
details.confirm{display:inline-block}details.confirm>summary{list-style:none;display:inline-block}
details.confirm>summary::-webkit-details-marker{display:none}details.confirm[open]>summary{display:none}
td.act{width:1%;white-space:nowrap}
table.runs th.pin,table.runs td.pin{position:sticky;z-index:1;background:var(--bg)}
table.runs thead th.pin{background:var(--soft);z-index:2}
table.runs .pin.sel{left:0;width:30px;min-width:30px;max-width:30px}
table.runs .pin.name{left:30px;max-width:260px;box-shadow:1px 0 0 var(--line)}
table.runs tbody tr:hover td.pin{background:var(--soft)}
table.runs tr.colgroups th{font-size:11px;color:var(--muted);font-weight:500;border-bottom:none;
text-align:center;border-left:1px solid var(--line)}
table.runs.sys-closed .sys{display:none}table.runs:not(.sys-closed) .sys-stub{display:none}
table.runs .sys-stub{min-width:16px;padding:0}
table.runs tr.group td{background:var(--soft);border-top:1px solid var(--line)}
table.runs tr.group a.toggle{display:inline-block;width:14px;color:var(--fg)}
table.runs tr.in-group td.name{padding-left:30px}
.chartpane .cards{grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:10px}
.chartview{display:grid;grid-template-columns:240px minmax(0,1fr);gap:14px;align-items:start}
aside.runlist{position:sticky;top:4px;max-height:calc(100vh - 8px);overflow:auto;border:1px solid var(--line);
border-radius:4px;padding:6px}
aside.runlist .head{display:flex;justify-content:space-between;align-items:center;margin-bottom:4px}
aside.runlist ul{list-style:none;margin:4px 0;padding:0}aside.runlist ul ul{margin:0 0 0 12px}
aside.runlist li{display:flex;flex-wrap:wrap;align-items:center;gap:2px;white-space:nowrap}
aside.runlist li.plain>ul{margin:0;flex:1;min-width:0}
aside.runlist li>a:last-child{overflow:hidden;text-overflow:ellipsis;min-width:0}
aside.runlist li[data-run-id]{flex-wrap:nowrap}aside.runlist li.off>a:last-child{color:var(--muted);
text-decoration:line-through}aside.runlist li.off i.sw{opacity:.3}
aside.runlist li.group>ul{flex-basis:100%}
aside.runlist .count{margin-left:4px}aside.runlist a.eye{color:var(--muted);padding:0 2px;text-decoration:none}
aside.runlist a.eye::before{content:"◉"}aside.runlist a.eye[aria-pressed=false]::before{content:"○"}aside.runlist a.toggle{width:14px;color:var(--fg)}
aside.runlist input[type=search]{margin:2px 0 4px}
details.section{margin:6px 0 12px}details.section>summary{font-weight:600;font-size:14px;cursor:pointer;
margin-bottom:6px}
nav.sections{position:sticky;top:0;z-index:5;display:flex;flex-wrap:wrap;gap:2px 14px;background:var(--bg);
border-bottom:1px solid var(--line);padding:6px 0;margin-bottom:4px}
main section[id]{scroll-margin-top:44px}
.artifacts .split{display:grid;grid-template-columns:minmax(200px,320px) minmax(0,1fr);gap:12px;
align-items:start}
nav.tree{border:1px solid var(--line);border-radius:4px;padding:6px;max-height:70vh;overflow:auto}
nav.tree ul{list-style:none;margin:0;padding:0 0 0 14px}nav.tree>ul{padding:0}
nav.tree li{white-space:nowrap;line-height:1.7}nav.tree li>span{margin-left:6px}
nav.tree a[aria-current]{font-weight:700}
nav.tree a[aria-expanded=true] .closed,nav.tree a[aria-expanded=false] .opened{display:none}nav.tree a.dl{margin-left:4px;color:var(--muted)}
section.pane{min-width:0;border:1px solid var(--line);border-radius:4px;padding:6px 10px}
td.wrap{white-space:normal;max-width:240px}
@media (max-width:900px){.chartview,.artifacts .split{grid-template-columns:1fr}aside.runlist{position:static;
max-height:300px}}
.overview{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:0 24px}
.overview td{word-break:break-all}
.copy{font-size:11px;padding:0 6px}
.note{border-left:3px solid var(--line);padding:2px 12px;margin:6px 0}
.note img{max-width:100%}
details.cols{margin:6px 0}details.cols .opts{display:flex;flex-wrap:wrap;gap:2px 14px;max-height:200px;
overflow:auto;padding:6px;border:1px solid var(--line);border-radius:4px;margin-top:4px}
iframe.preview{width:100%;height:420px;border:1px solid var(--line);border-radius:4px;background:#fff}
img.preview{max-width:100%;max-height:480px}
.empty{padding:24px;text-align:center;color:var(--muted)}
.live{font-size:11px;color:var(--run)}
.placeholder{display:flex;align-items:center;justify-content:center;width:100%;background:var(--soft);
border-radius:4px}
.plotwrap{overflow:auto;border:1px solid var(--line);border-radius:4px;padding:4px;margin:4px 0}
svg.plot{display:block;width:100%;height:auto}
svg .pc{fill:none;stroke-width:1.3;opacity:.75}svg a:hover .pc{stroke-width:3;opacity:1}
svg .axis.strong{stroke:var(--muted)}svg text.label{fill:var(--fg);font-size:11px;font-weight:600}
details.cols.inline{display:inline-block;margin:0}
pre.output{max-height:420px;white-space:pre-wrap;word-break:break-word}
@media (max-width:800px){.shell{grid-template-columns:1fr;background:none}aside.side{position:static;
max-height:none;background:var(--soft);border-bottom:1px solid var(--line)}}
`;
