//! Where a schema's text is: one `schema.prisma`, or a folder of `.prisma` files (Prisma's
//! multi-file schemas), read in path order so that every command sees them alike.

use std::{
    io,
    path::{Path, PathBuf},
};

/// The schema of the folder `dir`: its `schema.prisma` file, else its `schema/` folder (the
/// file's path when neither exists, for the error that follows).
pub fn locate(dir: &Path) -> PathBuf {
    let file = dir.join("schema.prisma");
    let folder = dir.join("schema");
    if !file.exists() && folder.is_dir() { folder } else { file }
}

/// The files of the schema at `path`: the file itself, or every `.prisma` file in the folder
/// and its subfolders (hidden ones, such as editors' lock files, left out), sorted by path.
pub fn files(path: &Path) -> io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        // A missing file is reported by whoever reads it, with its path.
        return Ok(vec![path.to_owned()]);
    }
    let mut found = Vec::new();
    let mut folders = vec![path.to_owned()];
    while let Some(folder) = folders.pop() {
        let named = |error: io::Error| io::Error::new(error.kind(), format!("{}: {error}", folder.display()));
        for entry in std::fs::read_dir(&folder).map_err(named)? {
            let entry = entry?;
            let entry_path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if entry.file_type()?.is_dir() {
                folders.push(entry_path);
            } else if entry_path.extension().is_some_and(|extension| extension == "prisma") {
                found.push(entry_path);
            }
        }
    }
    found.sort();
    if found.is_empty() {
        let message = format!("{}: a schema folder without .prisma files", path.display());
        return Err(io::Error::new(io::ErrorKind::NotFound, message));
    }
    Ok(found)
}

/// Each file's path and text.
pub fn read(path: &Path) -> io::Result<Vec<(PathBuf, String)>> {
    files(path)?
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file)
                .map_err(|error| io::Error::new(error.kind(), format!("{}: {error}", file.display())))?;
            Ok((file, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{files, locate};

    #[test]
    fn a_folder_schema_is_every_prisma_file_under_it_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("schema");
        std::fs::create_dir_all(folder.join("content")).unwrap();
        for name in ["main.prisma", "content/posts.prisma", "users.prisma", "notes.md"] {
            std::fs::write(folder.join(name), "").unwrap();
        }
        assert_eq!(locate(dir.path()), folder);
        let names: Vec<_> =
            files(&folder).unwrap().iter().map(|f| f.strip_prefix(&folder).unwrap().to_owned()).collect();
        assert_eq!(names, ["content/posts.prisma", "main.prisma", "users.prisma"].map(std::path::PathBuf::from));

        std::fs::write(folder.join(".#main.prisma"), "").unwrap();
        assert_eq!(files(&folder).unwrap().len(), 3, "hidden files are left out");

        std::fs::write(dir.path().join("schema.prisma"), "").unwrap();
        assert_eq!(locate(dir.path()), dir.path().join("schema.prisma"), "a schema.prisma file comes first");

        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let error = files(&empty).unwrap_err().to_string();
        assert!(error.contains("without .prisma files"), "{error}");
    }
}
