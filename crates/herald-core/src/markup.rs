//! Text for a notification's body, which the freedesktop spec lets servers
//! read as a small subset of HTML (`b`, `i`, `u`, `a`, `img`).
//!
//! Payload text never becomes markup: it is escaped. A markdown message
//! (ntfy's `markdown: true`) is read by pulldown-cmark and written back in
//! the subset's bold, italics and links, and nothing else: raw HTML in it
//! is text, an image is its description, and a link that is not http(s)
//! is its words.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// Escapes text for the notification body.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown as the body markup subset: bold, italics and http(s) links,
/// with paragraphs and list items on lines of their own.
pub fn markdown_markup(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    // Whether the link being written is one the subset may carry.
    let mut links: Vec<bool> = Vec::new();
    let mut list_depth = 0usize;
    let line = |out: &mut String| {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
    };
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Strong | Tag::Heading { .. }) => out.push_str("<b>"),
            Event::End(TagEnd::Strong) => out.push_str("</b>"),
            Event::End(TagEnd::Heading(_)) => {
                out.push_str("</b>");
                line(&mut out);
            }
            Event::Start(Tag::Emphasis) => out.push_str("<i>"),
            Event::End(TagEnd::Emphasis) => out.push_str("</i>"),
            Event::Start(Tag::Link { dest_url, .. }) => {
                let safe = crate::is_http_url(&dest_url);
                if safe {
                    out.push_str(&format!("<a href=\"{}\">", escape_markup(&dest_url)));
                }
                links.push(safe);
            }
            Event::End(TagEnd::Link) if links.pop() == Some(true) => out.push_str("</a>"),
            Event::Start(Tag::List(_)) => {
                line(&mut out);
                list_depth += 1;
            }
            Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
            Event::Start(Tag::Item) => {
                line(&mut out);
                out.push_str(&"  ".repeat(list_depth.saturating_sub(1)));
                out.push_str("• ");
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::CodeBlock | TagEnd::BlockQuote(_)) => line(&mut out),
            Event::Text(text) | Event::Code(text) | Event::Html(text) | Event::InlineHtml(text) => {
                out.push_str(&escape_markup(&text))
            }
            Event::SoftBreak | Event::HardBreak | Event::Rule => line(&mut out),
            _ => {}
        }
    }
    out.trim_end().to_owned()
}

/// A body made by this module, as plain text: for a notification server
/// that does not announce `body-markup`. Its only tags are the subset's,
/// which it wrote itself (payload text was escaped), so they are dropped,
/// and the escapes are undone.
pub fn markup_to_text(body: &str) -> String {
    let mut text = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        rest = match rest[start..].find('>') {
            Some(end) => &rest[start + end + 1..],
            None => "",
        };
    }
    text.push_str(rest);
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The words of markdown, with no markup at all: for a summary line.
pub fn markdown_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(text) | Event::Code(text) => out.push_str(&text),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph | TagEnd::Item) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_the_subset_and_nothing_else() {
        let body = markdown_markup("# Backup\n**done** in _4 min_, see [the log](https://ci.example/log/1).");
        assert_eq!(
            body,
            "<b>Backup</b>\n<b>done</b> in <i>4 min</i>, see <a href=\"https://ci.example/log/1\">the log</a>."
        );
        let lists = markdown_markup("Steps:\n\n- one\n- two");
        assert_eq!(lists, "Steps:\n• one\n• two");
    }

    #[test]
    fn hostile_markdown_is_text() {
        let body = markdown_markup(
            "<script>alert(1)</script>\n\n[click](javascript:alert(1)) ![x](file:///etc/passwd) <img src=x onerror=alert(1)>",
        );
        assert!(!body.contains("<script") && !body.contains("<img") && !body.contains("javascript"), "{body}");
        assert!(body.contains("&lt;script&gt;") && body.contains("click"), "{body}");
        assert_eq!(markdown_text("**Disk** at _91%_\n\n- sda"), "Disk at 91% sda");
    }

    #[test]
    fn a_body_reads_as_plain_text_where_the_server_takes_no_markup() {
        let payload = "<b>not bold</b> & \"quoted\" 'x' &amp;";
        let body = format!("{}\n{}", markdown_markup("**bold** [log](https://ci.example/)"), escape_markup(payload));
        assert_eq!(markup_to_text(&body), format!("bold log\n{payload}"));
    }
}
