//! Keeps `ARCHITECTURE.md` true: every path it names in backticks must exist.

use std::path::Path;

#[test]
fn every_path_named_in_the_architecture_document_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let named: Vec<&str> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| looks_like_path(span))
        .collect();
    assert!(
        named.len() > 20,
        "the document names too few paths: {named:?}"
    );

    let missing: Vec<&&str> = named
        .iter()
        .filter(|path| !root.join(path).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}

/// A backticked span is a path when it is one word that starts at a top-level folder or file of
/// the repository (`crates/…`, `scripts/…`, `.ci/run`, `fuzz/…`, `docs/…`).
fn looks_like_path(span: &str) -> bool {
    !span.contains(char::is_whitespace)
        && ["crates/", "scripts/", ".ci/", "fuzz/", "docs/"]
            .iter()
            .any(|top| span.starts_with(top))
}
