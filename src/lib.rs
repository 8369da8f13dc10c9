//! briefing: a static site generator for bilingual press briefing notes.
//!
//! Every command comes in through [`cli`] and opens the site through one front door,
//! [`open`]: [`config`] (site.yaml) → [`content`] (files → notes) → [`markdown`] → [`site`]
//! (the model). The back half is one plan and many sinks: [`plan`] (every file the site
//! has) → [`render`] (templates) → [`pipeline`] → a sink: [`output`] (written atomically to
//! disk), the preview's memory, check's nothing, deploy's hashes.

mod build;
mod changes;
mod check;
pub mod cli;
mod config;
mod contact;
mod content;
mod dates;
mod deploy;
mod error;
mod images;
mod locale;
mod markdown;
mod memory;
mod open;
mod output;
mod paths;
mod pipeline;
mod plan;
mod preview;
mod render;
mod safety;
mod scaffold;
mod search;
mod serve;
mod site;
mod size;
mod status;
mod targets;
mod theme;
mod urls;
mod vcard;
mod yaml;

// What the tests and benchmarks use beside the `briefing` program; everything else is
// private to the library.
pub use config::{Config, RawHtml};
pub use content::parse_note_text;
pub use dates::Now;
pub use markdown::{Target, render as render_markdown};
pub use preview::{Change, Preview, PreviewOptions, bytes_of};
pub use safety::{UrlUse, check_url};
pub use size::human_size;
