//! `briefing serve`.

use std::process::ExitCode;

use crate::serve::ServeOptions;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    root: super::Root,
    /// The port to listen on; if it is taken, the next free one is used (0: any free port)
    #[arg(long, default_value_t = 1111)]
    port: u16,
    /// The address to listen on; the default serves this computer only
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDRESS")]
    bind: std::net::IpAddr,
    /// Open the site in the web browser
    #[arg(long)]
    open: bool,
}

impl Args {
    pub fn run(self) -> ExitCode {
        let options = ServeOptions {
            root: self.root.root,
            bind: self.bind,
            port: self.port,
            open: self.open,
        };
        // Clock times of this computer: the preview is read here.
        let log = super::log(jiff::tz::TimeZone::system(), false);
        match crate::serve::serve(options, log) {
            Ok(()) => ExitCode::SUCCESS,
            Err(d) => super::fail(&d),
        }
    }
}
