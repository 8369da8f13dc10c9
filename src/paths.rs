//! Where a site keeps its files: site.yaml, content/ and themes/ at its root, and the names
//! no command ever takes for the site's own (hidden files, editor backups, temporary files).

/// The name of the settings file at the site root.
pub const SITE_FILE: &str = "site.yaml";

/// The folder of the notes, under the site root.
pub const CONTENT_DIR: &str = "content";

/// The themes, beside content/.
pub const THEMES_DIR: &str = "themes";

/// Hidden files, editor backups and temporary files are never part of the site: not
/// content, not a theme, not a change to rebuild for.
pub fn is_ignored(name: Option<&str>) -> bool {
    let Some(name) = name else { return false };
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name.ends_with(".bak")
        || name.starts_with("~$")
}
