// A message's markdown, as the window shows it: rendered by marked, then
// sanitised by DOMPurify (not by our own rules), so that nothing a sender
// writes can run or load anything. Only text structure and http(s) links
// survive; raw HTML, images, styles and every other scheme are dropped.
// The container's clicks on links go to the system browser (see
// MessageView), never to the webview.
import DOMPurify from "dompurify";
import { Marked } from "marked";

/** The most markdown rendered; the rest is cut, and says so. */
export const MARKDOWN_LIMIT = 64 * 1024;

const ALLOWED_TAGS = [
  "p", "br", "hr", "strong", "em", "b", "i", "del", "code", "pre", "blockquote",
  "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
  "table", "thead", "tbody", "tr", "th", "td",
];

const marked = new Marked({ async: false, gfm: true, breaks: true });

/** Safe HTML for a message's markdown. */
export function renderMarkdown(source: string): string {
  const cut = source.length > MARKDOWN_LIMIT;
  const text = cut ? `${source.slice(0, MARKDOWN_LIMIT)}\n\n…` : source;
  const html = marked.parse(text) as string;
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ["href", "title"],
    ALLOWED_URI_REGEXP: /^https?:\/\//i,
    ALLOW_DATA_ATTR: false,
  });
}

/** The words of a message's markdown, for a one-line preview. */
export function markdownText(source: string): string {
  const box = document.createElement("div");
  box.innerHTML = renderMarkdown(source.slice(0, 2000));
  return (box.textContent ?? "").replace(/\s+/g, " ").trim();
}
