//! What the generator reads from the schema's text besides the DMMF: where a model or field is
//! (for `schema.prisma:line:column` in errors), which blocks are views, the datasource's
//! provider, and `Unsupported(…)` fields (which the DMMF leaves out).

pub struct Source {
    files: Vec<File>,
}

struct File {
    /// The name errors use (`schema.prisma`, `prisma/schema/users.prisma`).
    name: String,
    lines: Vec<String>,
}

/// A top-level block (`model User { … }`): its file, keyword, name, and opening and closing
/// line indexes.
struct Block<'s> {
    file: &'s File,
    keyword: &'s str,
    name: &'s str,
    start: usize,
    end: usize,
}

impl Source {
    /// The schema's files, each as (name for errors, text).
    pub fn new(files: impl IntoIterator<Item = (String, String)>) -> Source {
        let files =
            files.into_iter().map(|(name, text)| File { name, lines: text.lines().map(str::to_owned).collect() });
        Source { files: files.collect() }
    }

    /// Every file's top-level blocks.
    fn blocks(&self) -> Vec<Block<'_>> {
        let mut blocks = Vec::new();
        for file in &self.files {
            let mut open: Option<(&str, &str, usize)> = None;
            for (index, line) in file.lines.iter().enumerate() {
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
                        blocks.push(Block { file, keyword, name, start, end: index });
                        open = None;
                    }
                    Some(_) => {}
                }
            }
        }
        blocks
    }

    fn model_block(&self, model: &str) -> Option<Block<'_>> {
        self.blocks().into_iter().find(|block| matches!(block.keyword, "model" | "view") && block.name == model)
    }

    /// The name of the schema for messages without a line: its only file, or every file.
    fn whole(&self) -> String {
        self.files.iter().map(|file| file.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// `schema.prisma:line:1` of a top-level block (`enum Role`), or the schema when not found.
    pub fn block_location(&self, keyword: &str, name: &str) -> String {
        match self.blocks().into_iter().find(|block| block.keyword == keyword && block.name == name) {
            Some(block) => format!("{}:{}:1", block.file.name, block.start + 1),
            None => self.whole(),
        }
    }

    /// `schema.prisma:line:column` of a field's declaration (of its model when not found).
    pub fn field_location(&self, model: &str, field: &str) -> String {
        let Some(Block { file, start, end, .. }) = self.model_block(model) else { return self.whole() };
        let found = (start + 1..end).find(|&index| file.lines[index].split_whitespace().next() == Some(field));
        match found {
            Some(index) => {
                let column = file.lines[index].len() - file.lines[index].trim_start().len() + 1;
                format!("{}:{}:{column}", file.name, index + 1)
            }
            None => format!("{}:{}:1", file.name, start + 1),
        }
    }

    pub fn is_view(&self, model: &str) -> bool {
        self.blocks().iter().any(|block| block.keyword == "view" && block.name == model)
    }

    /// The datasource's `provider`.
    pub fn provider(&self) -> Option<&str> {
        let Block { file, start, end, .. } = self.blocks().into_iter().find(|block| block.keyword == "datasource")?;
        file.lines[start + 1..end].iter().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "provider").then(|| value.trim().trim_matches('"'))
        })
    }

    /// `(model, field, type)` of every `Unsupported("…")` field.
    pub fn unsupported_fields(&self) -> Vec<(String, String, String)> {
        let mut found = Vec::new();
        for Block { file, keyword, name, start, end } in self.blocks() {
            if !matches!(keyword, "model" | "view") {
                continue;
            }
            for line in &file.lines[start + 1..end] {
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
        let source = Source::new([("schema.prisma".to_owned(), SCHEMA.to_owned())]);
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

    #[test]
    fn locations_name_the_file_that_declares_the_block() {
        let source = Source::new([
            ("schema/main.prisma".to_owned(), "datasource db {\n  provider = \"sqlite\"\n}\n".to_owned()),
            ("schema/users.prisma".to_owned(), "\nmodel User {\n  id   Int @id\n  name String\n}\n".to_owned()),
        ]);
        assert_eq!(source.field_location("User", "name"), "schema/users.prisma:4:3");
        assert_eq!(source.block_location("model", "User"), "schema/users.prisma:2:1");
        assert_eq!(source.block_location("enum", "Gone"), "schema/main.prisma, schema/users.prisma");
        assert_eq!(source.provider(), Some("sqlite"));
    }
}
