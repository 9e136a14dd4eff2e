//! Post bodies: markdown rendered to HTML on the server and sanitized, so that whatever an
//! author writes (`<script>`, `javascript:` links, event handlers, iframes) renders inert.

use pulldown_cmark::{Event, Options, Parser, TagEnd, html};

fn options() -> Options {
    // No footnotes: their links need ids, which the sanitizer removes.
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Sanitized HTML of `markdown` (ammonia's default allow-list: formatting, links with safe
/// schemes, images; no scripts, styles, frames or event attributes).
pub fn to_html(markdown: &str) -> String {
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options()));
    ammonia::clean(&unsafe_html)
}

/// The first words of `markdown` as plain text, at most `max_chars` characters, cut at a word.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    let mut text = String::new();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(part) | Event::Code(part) => text.push_str(&part),
            // Inline markup ends inside a word; blocks, cells and list items end words.
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link) => {}
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
        if text.chars().count() > max_chars {
            break;
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max_chars {
        return text;
    }
    // One character more than fits: a space there means the cut falls between words.
    let cut: String = text.chars().take(max_chars + 1).collect();
    let at_word = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", at_word.trim_end_matches(|c: char| c.is_ascii_punctuation()))
}

#[cfg(test)]
mod tests {
    use super::{excerpt, to_html};

    #[test]
    fn markdown_renders_and_anything_active_is_removed() {
        assert_eq!(to_html("# Hello\n\n*world*"), "<h1>Hello</h1>\n<p><em>world</em></p>\n");
        let hostile = to_html(
            "<script>alert(1)</script>\n\n[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n<iframe src=https://evil.test></iframe>",
        );
        for active in ["<script", "javascript:", "onerror", "<iframe"] {
            assert!(!hostile.contains(active), "{active} survived: {hostile}");
        }
        assert!(to_html("[ok](https://example.com)").contains(r#"href="https://example.com""#));
    }

    #[test]
    fn excerpts_are_plain_text_cut_at_a_word() {
        assert_eq!(excerpt("# Title\n\nSome *emphasis* and `code`.", 200), "Title Some emphasis and code.");
        assert_eq!(excerpt("one two three four", 9), "one two…");
        assert_eq!(excerpt("one two three", 7), "one two…", "a word that ends at the cut stays");
        assert_eq!(excerpt("| a | b |\n|---|---|\n| c | d |", 200), "a b c d", "cells are words");
    }
}
