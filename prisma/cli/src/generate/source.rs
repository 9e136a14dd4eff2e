//! What the generator reads from the schema's text besides the DMMF: where a model or field is
//! (for `schema.prisma:line:column` in errors), which blocks are views, the datasource's
//! provider, and `Unsupported(…)` fields (which the DMMF leaves out).

pub struct Source {
    /// The file name errors use (`schema.prisma`).
    name: String,
    lines: Vec<String>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: &str) -> Source {
        Source { name: name.into(), lines: text.lines().map(str::to_owned).collect() }
    }

    /// Top-level blocks: (keyword, name, index of the opening line, index of the closing line).
    fn blocks(&self) -> Vec<(&str, &str, usize, usize)> {
        let mut blocks = Vec::new();
        let mut open: Option<(&str, &str, usize)> = None;
        for (index, line) in self.lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or_default().trim();
            match open {
                None => {
                    let mut words = code.split_whitespace();
                    if let (Some(keyword), Some(name)) = (words.next(), words.next())
                        && code.ends_with('{')
                    {
                        open = Some((keyword, name.trim_end_matches('{'), index));
                    }
                }
                Some((keyword, name, start)) if code == "}" => {
                    blocks.push((keyword, name, start, index));
                    open = None;
                }
                Some(_) => {}
            }
        }
        blocks
    }

    fn block_lines(&self, model: &str) -> Option<(usize, usize)> {
        self.blocks()
            .into_iter()
            .find(|(keyword, name, _, _)| matches!(*keyword, "model" | "view") && *name == model)
            .map(|(_, _, start, end)| (start, end))
    }

    /// `schema.prisma:line:1` of a top-level block (`enum Role`), or the file when not found.
    pub fn block_location(&self, keyword: &str, name: &str) -> String {
        match self.blocks().into_iter().find(|(k, n, _, _)| *k == keyword && *n == name) {
            Some((_, _, start, _)) => format!("{}:{}:1", self.name, start + 1),
            None => self.name.clone(),
        }
    }

    /// `schema.prisma:line:column` of a field's declaration (of its model when not found).
    pub fn field_location(&self, model: &str, field: &str) -> String {
        let Some((start, end)) = self.block_lines(model) else { return self.name.clone() };
        let found = (start + 1..end).find(|&index| self.lines[index].split_whitespace().next() == Some(field));
        match found {
            Some(index) => {
                let column = self.lines[index].len() - self.lines[index].trim_start().len() + 1;
                format!("{}:{}:{column}", self.name, index + 1)
            }
            None => format!("{}:{}:1", self.name, start + 1),
        }
    }

    pub fn is_view(&self, model: &str) -> bool {
        self.blocks().iter().any(|(keyword, name, _, _)| *keyword == "view" && *name == model)
    }

    /// The datasource's `provider`.
    pub fn provider(&self) -> Option<&str> {
        let (_, _, start, end) = self.blocks().into_iter().find(|(keyword, _, _, _)| *keyword == "datasource")?;
        self.lines[start + 1..end].iter().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "provider").then(|| value.trim().trim_matches('"'))
        })
    }

    /// `(model, field, type)` of every `Unsupported("…")` field.
    pub fn unsupported_fields(&self) -> Vec<(String, String, String)> {
        let mut found = Vec::new();
        for (keyword, name, start, end) in self.blocks() {
            if !matches!(keyword, "model" | "view") {
                continue;
            }
            for line in &self.lines[start + 1..end] {
                let mut words = line.split_whitespace();
                if let (Some(field), Some(ty)) = (words.next(), words.next())
                    && ty.starts_with("Unsupported(")
                {
                    found.push((name.to_owned(), field.to_owned(), ty.trim_end_matches('?').to_owned()));
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::Source;

    const SCHEMA: &str = r#"datasource db {
  provider = "postgresql"
}

model User {
  id   Int @id
  name String
  vec  Unsupported("tsvector")?
}

view Names {
  name String @unique
}
"#;

    #[test]
    fn reads_locations_views_provider_and_unsupported_fields() {
        let source = Source::new("schema.prisma", SCHEMA);
        assert_eq!(source.field_location("User", "name"), "schema.prisma:7:3");
        assert_eq!(source.field_location("User", "missing"), "schema.prisma:5:1");
        assert!(source.is_view("Names"));
        assert!(!source.is_view("User"));
        assert_eq!(source.provider(), Some("postgresql"));
        assert_eq!(
            source.unsupported_fields(),
            vec![("User".to_owned(), "vec".to_owned(), "Unsupported(\"tsvector\")".to_owned())]
        );
    }
}
