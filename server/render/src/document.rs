//! The HTML document around a render: the web build's `index.html` with two markers, one in
//! `<head>` and one inside the root element.

use std::sync::Arc;

/// Where the head tags and the dehydrated state go.
pub const HEAD_MARKER: &str = "<!--ssr-head-->";
/// Where the app's markup goes: the only content of the element the client hydrates.
pub const BODY_MARKER: &str = "<!--ssr-body-->";

/// The element that carries the dehydrated query state; the client reads it by this id.
pub const STATE_ELEMENT_ID: &str = "isthmus-state";

/// `index.html` from the web build, split at its markers.
#[derive(Clone, Debug)]
pub struct Template {
    parts: Arc<[String; 3]>,
}

/// The page template lacks a marker.
#[derive(Debug, thiserror::Error)]
#[error("the page template has no `{marker}` (or has it twice, or out of order)")]
pub struct TemplateError {
    marker: &'static str,
}

impl Template {
    /// Splits `html` at [`HEAD_MARKER`] and [`BODY_MARKER`], each present once, head first.
    pub fn parse(html: &str) -> Result<Self, TemplateError> {
        let (before_head, rest) = split_once_exactly(html, HEAD_MARKER)?;
        let (between, after_body) = split_once_exactly(rest, BODY_MARKER)?;
        if before_head.contains(BODY_MARKER) {
            return Err(TemplateError { marker: BODY_MARKER });
        }
        Ok(Template { parts: Arc::new([before_head.to_owned(), between.to_owned(), after_body.to_owned()]) })
    }

    /// A server-rendered page: `head` (tags), the state script, and `body` (the app's markup).
    pub(crate) fn page(&self, head: &str, body: &str, state: &str) -> String {
        let [before, between, after] = &*self.parts;
        let script = state_script(state);
        let mut page =
            String::with_capacity(before.len() + head.len() + script.len() + between.len() + body.len() + after.len());
        for part in [before, head, &script, between, body, after] {
            page.push_str(part);
        }
        page
    }

    /// The page without server content: the client renders it (the fallback).
    pub(crate) fn shell(&self) -> String {
        self.parts.concat()
    }
}

fn split_once_exactly<'a>(html: &'a str, marker: &'static str) -> Result<(&'a str, &'a str), TemplateError> {
    match html.split_once(marker) {
        Some((before, after)) if !after.contains(marker) => Ok((before, after)),
        _ => Err(TemplateError { marker }),
    }
}

/// The dehydrated state in an inert script element. JSON may hold `</script>`, `<!--` or the
/// line separators that end a script in older parsers: `<`, `>`, `&`, U+2028 and U+2029 are
/// written as `\u` escapes, which JSON reads back as the same characters.
fn state_script(json: &str) -> String {
    let mut script = format!(r#"<script type="application/json" id="{STATE_ELEMENT_ID}">"#);
    for c in json.chars() {
        match c {
            '<' => script.push_str("\\u003c"),
            '>' => script.push_str("\\u003e"),
            '&' => script.push_str("\\u0026"),
            '\u{2028}' => script.push_str("\\u2028"),
            '\u{2029}' => script.push_str("\\u2029"),
            c => script.push(c),
        }
    }
    script.push_str("</script>");
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTML: &str =
        "<html><head><title>x</title><!--ssr-head--></head><body><div id=\"root\"><!--ssr-body--></div></body></html>";

    #[test]
    fn a_page_fills_both_markers_and_the_shell_leaves_them_empty() {
        let template = Template::parse(HTML).unwrap();
        let page = template.page("<meta name=\"d\">", "<p>hi</p>", "{}");
        assert_eq!(
            page,
            "<html><head><title>x</title><meta name=\"d\"><script type=\"application/json\" id=\"isthmus-state\">{}</script></head><body><div id=\"root\"><p>hi</p></div></body></html>"
        );
        assert_eq!(template.shell(), "<html><head><title>x</title></head><body><div id=\"root\"></div></body></html>");
    }

    #[test]
    fn a_template_needs_each_marker_once_and_in_order() {
        assert!(Template::parse("<head></head>").is_err());
        assert!(Template::parse("<!--ssr-head--><!--ssr-head--><!--ssr-body-->").is_err());
        assert!(Template::parse("<!--ssr-body--><!--ssr-head-->").is_err());
    }

    #[test]
    fn state_cannot_end_its_script() {
        let hostile = "{\"title\":\"</script><script>alert(1)</script><!-- & \u{2028} \u{2029}\"}";
        let script = state_script(hostile);
        let inner = script.strip_prefix(r#"<script type="application/json" id="isthmus-state">"#).unwrap();
        let inner = inner.strip_suffix("</script>").unwrap();
        for forbidden in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
            assert!(!inner.contains(forbidden), "{forbidden:?} escaped");
        }
        let read: serde_json::Value = serde_json::from_str(inner).unwrap();
        let original: serde_json::Value = serde_json::from_str(hostile).unwrap();
        assert_eq!(read, original, "JSON reads back the same value");
    }
}
