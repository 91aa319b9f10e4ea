/**
 * A small, safe Markdown subset → VNodes (never raw HTML): headings, paragraphs, lists, code
 * blocks, inline code, bold, italic and links. Only http(s) and relative links become links;
 * raw HTML shows as text because every string goes through the renderer's escaping.
 */
import type { ComponentChildren, VNode } from "preact";

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)|(\[[^\]]+\]\([^)\s]+\))/;

/** True for links a description may carry: http(s), or relative without a scheme. */
export function safeHref(href: string): boolean {
  if (/^https?:\/\//i.test(href)) return true;
  // Relative: no scheme (letters then ':') before the first '/', '?' or '#'; no '//' host.
  // deno-lint-ignore no-control-regex -- control characters are exactly what is refused here
  const ctl = /[\u0000-\u0020\\]/;
  return !ctl.test(href) && !/^[a-z][a-z0-9+.\-]*:/i.test(href) && !href.startsWith("//");
}

function inline(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    const t = m[0];
    if (m[1]) out.push(<code>{t.slice(1, -1)}</code>);
    else if (m[2]) out.push(<strong>{inline(t.slice(2, -2))}</strong>);
    else if (m[3]) out.push(<em>{inline(t.slice(1, -1))}</em>);
    else {
      const close = t.indexOf("](");
      const label = t.slice(1, close), href = t.slice(close + 2, -1);
      out.push(
        safeHref(href) ? <a href={href} rel="noopener noreferrer nofollow">{inline(label)}</a> : t,
      );
    }
    rest = rest.slice(m.index + t.length);
  }
  return out;
}

/** Renders Markdown text as safe VNodes. */
export function Markdown({ text }: { text: string }): VNode {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const blocks: VNode[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      const body: string[] = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) body.push(lines[i]);
      i++;
      blocks.push(<pre><code>{body.join("\n")}</code></pre>);
    } else if (/^#{1,6}\s/.test(line)) {
      const level = Math.min(6, line.indexOf(" ") + 1);
      const H = `h${Math.min(level, 6)}` as "h3";
      blocks.push(<H>{inline(line.replace(/^#+\s+/, ""))}</H>);
      i++;
    } else if (/^\s*([-*+]|\d+\.)\s/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items: VNode[] = [];
      for (; i < lines.length && /^\s*([-*+]|\d+\.)\s/.test(lines[i]); i++) {
        items.push(<li>{inline(lines[i].replace(/^\s*([-*+]|\d+\.)\s+/, ""))}</li>);
      }
      blocks.push(ordered ? <ol>{items}</ol> : <ul>{items}</ul>);
    } else if (line.trim() === "") i++;
    else {
      const para: string[] = [];
      for (; i < lines.length && lines[i].trim() !== "" && !/^(```|#{1,6}\s)/.test(lines[i]); i++) {
        para.push(lines[i]);
      }
      blocks.push(<p>{inline(para.join("\n"))}</p>);
    }
  }
  return <div class="note">{blocks}</div>;
}
