//! `briefing serve`: the site from memory on a local address, rebuilt on every change and
//! reloaded in the browser, with build errors shown over every page.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use tokio::sync::broadcast;

use crate::error::{Diagnostic, Diagnostics, Log};

mod idle;
use crate::preview::{Change, Preview, PreviewOptions, Rebuilt, bytes_of};

/// The path of the live-reload event stream.
pub const EVENTS_PATH: &str = "/__briefing/events";

/// How long the watcher waits for an editor to finish saving before rebuilding.
const DEBOUNCE: Duration = Duration::from_millis(10);

/// What `briefing serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// The port to try first; 0 takes any free port.
    pub port: u16,
    /// Open the site in the browser once it is served.
    pub open: bool,
}

struct Shared {
    preview: RwLock<Preview>,
    /// The site folder, absolute and without links: files are served only from inside it.
    root: PathBuf,
    events: broadcast::Sender<&'static str>,
}

/// Serves the site until Ctrl-C.
pub fn serve(options: ServeOptions, log: Log) -> Result<(), Diagnostics> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::error(format!("cannot start the server: {e}")))?;
    runtime.block_on(run(options, log))
}

async fn bind(options: &ServeOptions, log: &Log) -> Result<tokio::net::TcpListener, Diagnostics> {
    let mut port = options.port;
    for _ in 0..20 {
        match tokio::net::TcpListener::bind(SocketAddr::new(options.bind, port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && port != 0 && port < u16::MAX => {
                log(format!("Port {port} is in use; trying {}.", port + 1));
                port += 1;
            }
            Err(e) => {
                return Err(Diagnostic::error(format!(
                    "cannot listen on {}:{port}: {e}",
                    options.bind
                ))
                .help("choose another address with --bind, or another port with --port")
                .into());
            }
        }
    }
    Err(
        Diagnostic::error(format!("no free port from {} to {port}", options.port))
            .help("choose a port with --port, or --port 0 for any free port")
            .into(),
    )
}

async fn run(mut options: ServeOptions, log: Log) -> Result<(), Diagnostics> {
    // Watched paths come back absolute: compare them with the absolute root.
    options.root = options.root.canonicalize().map_err(|e| {
        Diagnostic::error(format!(
            "cannot open the site folder {}: {e}",
            options.root.display()
        ))
        .help("run briefing serve in the site's folder, or name it with --root DIR")
    })?;
    // A folder that is not a site is a mistake to say at once, not a page to serve.
    if !options.root.join(crate::paths::SITE_FILE).is_file() {
        return Err(Diagnostic::error(format!(
            "no site.yaml in {}: this folder is not a briefing site",
            options.root.display()
        ))
        .help("run briefing serve in the site's folder, or name it with --root DIR; `briefing init DIR` makes a new site")
        .into());
    }
    let listener = bind(&options, &log).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| Diagnostic::error(format!("cannot read the server's address: {e}")))?;
    let base_url = format!("http://{addr}");
    let (preview, changes) = open(&options.root, &base_url, &log)?;
    let (events, _) = broadcast::channel(16);
    let ahead = preview.ahead();
    let shared = Arc::new(Shared {
        preview: RwLock::new(preview),
        root: options.root.clone(),
        events,
    });
    render_ahead(ahead, log.clone());
    watch(changes, shared.clone(), log.clone());

    let port = addr.port();
    let app = Router::new()
        .route(EVENTS_PATH, get(events_stream))
        .fallback(get(page))
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| async move {
                let host = request
                    .headers()
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("");
                if host_allowed(host, port) {
                    next.run(request).await
                } else {
                    refuse_host(host, port)
                }
            },
        ))
        .with_state(shared);
    // Listening for Ctrl-C before saying where the site is served: an interrupt right after
    // that line still stops the server cleanly.
    #[cfg(unix)]
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| Diagnostic::error(format!("cannot listen for Ctrl-C: {e}")))?;
    log(format!("Serving the site at {base_url}/ (Ctrl-C to stop)"));
    if options.open {
        let url = format!("{base_url}/");
        std::thread::spawn(move || {
            let _ = open::that(url);
        });
    }
    axum::serve(idle::Listener(listener), app)
        .with_graceful_shutdown(async move {
            #[cfg(unix)]
            interrupt.recv().await;
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| Diagnostic::error(format!("the server stopped: {e}")))?;
    log("Stopped.".to_string());
    Ok(())
}

/// The site in memory, and its changes as they come. Watching starts once the notes are
/// read, while the model is made of them.
fn open(
    root: &std::path::Path,
    base_url: &str,
    log: &Log,
) -> Result<(Preview, std::sync::mpsc::Receiver<Vec<PathBuf>>), Diagnostics> {
    let started = std::time::Instant::now();
    let (sender, watching) = std::sync::mpsc::channel();
    let preview = Preview::new_then(
        PreviewOptions {
            root: root.to_path_buf(),
            base_url: base_url.to_string(),
            now: crate::dates::Now::Clock,
        },
        || {
            let (root, log) = (root.to_path_buf(), log.clone());
            std::thread::spawn(move || sender.send(crate::changes::watch(&root, DEBOUNCE, log)));
        },
    );
    match &preview.error {
        None => log(format!(
            "Ready in {} ms: {} files, each page rendered when it is first asked for.",
            started.elapsed().as_millis(),
            preview.count()
        )),
        Some(e) => log(format!(
            "{}The build failed; the errors show in the browser until they are fixed.",
            e
        )),
    }
    // The site could not be read (site.yaml is wrong): watching starts now.
    let changes = match watching.recv() {
        Ok(changes) => changes?,
        Err(_) => crate::changes::watch(root, DEBOUNCE, log.clone())?,
    };
    Ok((preview, changes))
}

/// Watches content/, themes/ and site.yaml; rebuilds and tells the browsers after each change.
/// The watcher lives in its own thread for as long as the server runs.
fn watch(changes: std::sync::mpsc::Receiver<Vec<PathBuf>>, shared: Arc<Shared>, log: Log) {
    std::thread::spawn(move || {
        for paths in changes {
            // Worked out under a read lock, so pages are served while it runs; put in place
            // under a write lock held only for the swap.
            let prepared = {
                let preview = shared.preview.read().unwrap_or_else(|e| e.into_inner());
                let change = preview.classify(&paths);
                if change == Change::Nothing {
                    continue;
                }
                preview.prepare(&change)
            };
            let (result, total, ahead) = {
                let mut preview = shared.preview.write().unwrap_or_else(|e| e.into_inner());
                let result = preview.apply(prepared);
                (result, preview.count(), preview.ahead())
            };
            let change = match &result {
                Ok(r) => r.change.clone(),
                Err(_) => Change::Everything,
            };
            let event = match (&change, &result) {
                (Change::Styles, Ok(_)) => "css",
                _ => "reload",
            };
            let _ = shared.events.send(event);
            log(describe(&paths, &result, total));
            if result.is_ok() {
                render_ahead(ahead, log.clone());
            }
        }
    });
}

/// Renders every page of the site just put in place, on a thread of its own, after the
/// browsers have had a moment to ask for the page they show: later pages are served at once,
/// and a page the theme fails to render is reported in the terminal and over every page, as
/// `build` would report it.
fn render_ahead(ahead: Option<crate::preview::Ahead>, log: Log) {
    let Some(ahead) = ahead else { return };
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        if let Some(errors) = ahead.run()
            && !errors.is_empty()
        {
            let count = errors.len();
            log(format!(
                "{}{count} page{} failed to render; the errors show in the browser until they are fixed.",
                Diagnostics(errors),
                if count == 1 { "" } else { "s" }
            ));
        }
    });
}

/// One terminal line about a rebuild.
fn describe(paths: &[PathBuf], result: &Result<Rebuilt, Diagnostics>, total: usize) -> String {
    let names: Vec<String> = paths
        .iter()
        .take(3)
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let more = if paths.len() > 3 {
        format!(" and {} more", paths.len() - 3)
    } else {
        String::new()
    };
    let what = format!("{}{more}", names.join(", "));
    match result {
        Ok(r) => format!(
            "Changed {what}: the site of {total} files updated in {} ms.",
            r.took.as_millis()
        ),
        Err(e) => format!(
            "Changed {what}: the build failed with {} error{}; the last good version is still served.\n{e}",
            e.error_count(),
            if e.error_count() == 1 { "" } else { "s" }
        ),
    }
}

async fn events_stream(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let rx = shared.events.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(name) => {
                    return Some((
                        Ok::<_, Infallible>(Event::default().event(name).data(name)),
                        rx,
                    ));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// The script added to every page in serve mode: reload on rebuild, swap stylesheets on a
/// stylesheet change.
const RELOAD_SCRIPT: &str = r#"<script>
(function () {
  var source = null;
  function connect() {
    source = new EventSource("/__briefing/events");
    source.addEventListener("reload", function () { location.reload(); });
    source.addEventListener("css", function () {
      document.querySelectorAll('link[rel="stylesheet"]').forEach(function (link) {
        var url = new URL(link.href);
        url.searchParams.set("v", Date.now());
        link.href = url.href;
      });
    });
  }
  connect();
  // A page left open in the history would hold its connection: browsers allow only six.
  addEventListener("pagehide", function () { if (source) { source.close(); source = null; } });
  addEventListener("pageshow", function (e) { if (e.persisted && !source) { location.reload(); } });
})();
</script>
"#;

/// The error overlay: the message is escaped by the template engine.
const OVERLAY: &str = r#"<div id="briefing-error" role="alert" style="position:fixed;top:0;left:0;right:0;max-height:70vh;overflow:auto;z-index:2147483647;background:#fff4f4;color:#3a0000;border-bottom:4px solid #b00000;padding:1rem 1.25rem;font:14px/1.45 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;box-shadow:0 4px 16px rgba(0,0,0,.2)"><strong style="font-size:16px">The site could not be built. The last good version is shown below.</strong>
{{ message }}</div>
"#;

fn overlay(errors: &Diagnostics) -> String {
    let mut ctx = tera::Context::new();
    ctx.insert("message", &errors.to_string());
    tera::Tera::one_off(OVERLAY, &ctx, true).unwrap_or_default()
}

/// Adds the reload script, and the error overlay if the last build failed, to an HTML page.
fn inject(html: &[u8], error: Option<&Diagnostics>) -> Vec<u8> {
    let mut extra = String::from(RELOAD_SCRIPT);
    if let Some(e) = error {
        extra.push_str(&overlay(e));
    }
    let text = String::from_utf8_lossy(html);
    match text.rfind("</body>") {
        Some(i) => format!("{}{extra}{}", &text[..i], &text[i..]).into_bytes(),
        None => format!("{text}{extra}").into_bytes(),
    }
}

/// Whether a request's `Host` names this server: an IP address or `localhost`, with the port
/// served. A web page the user visits can point a domain name of its own at this computer
/// (DNS rebinding) and read the preview, embargoed notes included; it cannot make the browser
/// send one of these names.
fn host_allowed(host: &str, port: u16) -> bool {
    let (name, host_port) = match host.rsplit_once(':') {
        Some((name, p))
            if !name.ends_with(':') && (name.starts_with('[') || !name.contains(':')) =>
        {
            (name, p.parse::<u16>().ok())
        }
        _ => (host, Some(80)),
    };
    if host_port != Some(port) {
        return false;
    }
    let name = name.to_ascii_lowercase();
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    name == "localhost" || name.ends_with(".localhost") || bare.parse::<IpAddr>().is_ok()
}

fn refuse_host(host: &str, port: u16) -> Response {
    (
        StatusCode::FORBIDDEN,
        format!(
            "This preview answers only at http://127.0.0.1:{port}/ or http://localhost:{port}/, not at the address {host:?}.\n"
        ),
    )
        .into_response()
}

/// Why a request path cannot name a file of the site.
fn site_path(uri: &Uri) -> Result<String, StatusCode> {
    let raw = uri.path();
    if raw.starts_with("//") || raw.contains('\\') || raw.to_ascii_lowercase().contains("%5c") {
        return Err(StatusCode::BAD_REQUEST);
    }
    // An escape of bytes that are not UTF-8 names no file of the site.
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| StatusCode::BAD_REQUEST)?;
    if decoded.contains(['\0', '\\']) {
        return Err(StatusCode::BAD_REQUEST);
    }
    let inner = decoded.trim_start_matches('/');
    if inner.split('/').any(|s| s == ".." || s == ".") || inner.contains("//") {
        return Err(StatusCode::BAD_REQUEST);
    }
    Ok(inner.to_string())
}

async fn page(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let path = match site_path(&uri) {
        Ok(p) => p,
        Err(status) => {
            return (status, "This path cannot name a page of the site.\n").into_response();
        }
    };
    let (found, error, redirect) = {
        let preview = shared.preview.read().unwrap_or_else(|e| e.into_inner());
        let key = if path.is_empty() || path.ends_with('/') {
            crate::urls::page_file(&path)
        } else {
            path.clone()
        };
        let found = preview.get(&key).map(|b| (key.clone(), b));
        let redirect = found.is_none()
            && preview
                .get(&crate::urls::page_file(&format!("{path}/")))
                .is_some();
        let found = found.or_else(|| {
            let not_found = crate::urls::NOT_FOUND;
            preview.get(not_found).map(|b| (not_found.to_string(), b))
        });
        (found, preview.problems(), redirect)
    };
    if redirect {
        let location = format!("/{path}/");
        return (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response();
    }
    let status = match &found {
        Some((key, _)) if key == crate::urls::NOT_FOUND && path != *key => StatusCode::NOT_FOUND,
        Some(_) => StatusCode::OK,
        None => StatusCode::NOT_FOUND,
    };
    let (key, bytes) = match found {
        // The theme failed to render this page: an empty page with the error over it.
        Some((_, Err(e))) => {
            let error = Diagnostics(vec![e]);
            let body = inject(
                b"<!DOCTYPE html><title>Page failed</title><body></body>",
                Some(&error),
            );
            let mut response = (StatusCode::INTERNAL_SERVER_ERROR, body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            return response;
        }
        Some((key, Ok(body))) => match bytes_of(&body, &shared.root) {
            Ok(b) => (key, b),
            // Moved or deleted a moment ago (a note's folder renamed): the rebuild on its way
            // will not have it either.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (
                    StatusCode::NOT_FOUND,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "This file was moved or deleted a moment ago: the preview follows in an instant.\n",
                )
                    .into_response();
            }
            Err(e) => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot read the file: {e}\n"),
                )
                    .into_response();
            }
        },
        // No site yet: the first build failed.
        None => (
            crate::urls::NOT_FOUND.to_string(),
            b"<!DOCTYPE html><title>Build failed</title><body></body>".to_vec(),
        ),
    };
    let content_type = crate::output::content_type(&key);
    let is_html = content_type.starts_with("text/html");
    let body = if is_html {
        inject(&bytes, error.as_ref())
    } else {
        bytes
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_cannot_leave_the_site() {
        let path = |p: &str| site_path(&p.parse::<Uri>().unwrap());
        assert_eq!(path("/en/briefings/x/").unwrap(), "en/briefings/x/");
        assert_eq!(path("/zh/tags/%E4%BA%BA/").unwrap(), "zh/tags/人/");
        for bad in [
            "/../etc/passwd",
            "/en/%2e%2e/%2E%2E/x",
            "/a/./b",
            "/%5c..%5cx",
            "/a%00b",
            "//etc/passwd",
            "/%ff",
        ] {
            assert_eq!(path(bad), Err(StatusCode::BAD_REQUEST), "{bad}");
        }
    }

    #[test]
    fn only_this_computer_s_names_are_answered() {
        for ok in [
            "127.0.0.1:1111",
            "localhost:1111",
            "LOCALHOST:1111",
            "[::1]:1111",
            "192.168.1.20:1111",
            "preview.localhost:1111",
        ] {
            assert!(host_allowed(ok, 1111), "{ok}");
        }
        for bad in [
            "attacker.example:1111",
            "attacker.example",
            "127.0.0.1:1112",
            "127.0.0.1",
            "",
            "localhost.attacker.example:1111",
            "127.0.0.1.nip.io:1111",
        ] {
            assert!(!host_allowed(bad, 1111), "{bad}");
        }
        assert!(host_allowed("localhost", 80));
    }

    #[test]
    fn the_overlay_escapes_the_message() {
        let d = Diagnostics(vec![Diagnostic::error("<script>alert(1)</script>")]);
        let html = overlay(&d);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
