//! A running `briefing serve` for tests: started on a free port, stopped when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long any wait of a test may last.
pub const WAIT: Duration = Duration::from_secs(20);

/// A running `briefing serve`, stopped when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    /// The address it listens on, as printed: `127.0.0.1`, or `[::1]` with `--bind ::1`.
    pub host: String,
    pub lines: mpsc::Receiver<String>,
    /// What the server printed up to the line that gives its address.
    pub startup: String,
}

impl Server {
    pub fn start(root: &Path, extra: &[&str]) -> Server {
        let mut args = vec!["serve"];
        args.extend_from_slice(extra);
        if !extra.contains(&"--port") {
            args.extend(["--port", "0"]);
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_briefing"))
            .args(&args)
            .current_dir(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start briefing serve");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Built before the wait, so that the server is stopped even if the wait fails.
        let mut server = Server {
            child,
            port: 0,
            host: String::new(),
            lines,
            startup: String::new(),
        };
        let deadline = Instant::now() + WAIT;
        while server.port == 0 {
            let line = server
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the server did not say where it serves");
            server.startup.push_str(&line);
            server.startup.push('\n');
            if let Some(rest) = line.split("Serving the site at http://").nth(1) {
                let authority = rest.split('/').next().unwrap();
                let (host, port) = authority.rsplit_once(':').unwrap();
                server.host = host.to_string();
                server.port = port.parse().unwrap();
            }
        }
        server
    }

    /// A raw HTTP/1.1 GET of `target` exactly as written: (status, head, body).
    pub fn get(&self, target: &str) -> (u16, String, String) {
        self.get_as(&format!("{}:{}", self.host, self.port), target)
    }

    /// A raw HTTP/1.1 GET of `target` with the `Host` header `host`: (status, head, body).
    pub fn get_as(&self, host: &str, target: &str) -> (u16, String, String) {
        self.request(&format!(
            "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ))
    }

    /// The connection to the server, at the address it printed.
    pub fn connect(&self) -> TcpStream {
        let ip = self.host.trim_start_matches('[').trim_end_matches(']');
        let ip: std::net::IpAddr = ip.parse().unwrap();
        TcpStream::connect((ip, self.port)).unwrap()
    }

    /// Sends `request` exactly as written and reads the answer: (status, head, body).
    pub fn request(&self, request: &str) -> (u16, String, String) {
        let mut stream = self.connect();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, head.to_string(), body.to_string())
    }

    /// GETs `target` until `ready` holds for its body (bounded): a save can reach the watcher
    /// as more than one change, so the first reload may come before the last.
    pub fn get_until(&self, target: &str, ready: impl Fn(&str) -> bool) -> (u16, String) {
        let deadline = Instant::now() + WAIT;
        loop {
            let (status, _, body) = self.get(target);
            if ready(&body) {
                return (status, body);
            }
            assert!(
                Instant::now() < deadline,
                "{target} never became ready:\n{body}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens the live-reload stream.
    pub fn events(&self) -> Events {
        let mut stream = self.connect();
        write!(
            stream,
            "GET /__briefing/events HTTP/1.1\r\nHost: {}:{}\r\n\r\n",
            self.host, self.port
        )
        .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut events = Events {
            stream,
            seen: String::new(),
        };
        events.wait_for("text/event-stream");
        events
    }

    /// Waits until the terminal shows a line containing `text`.
    pub fn log_line(&self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let line = self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("no terminal line with {text:?}"));
            if line.contains(text) {
                return line;
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Events {
    stream: TcpStream,
    seen: String,
}

impl Events {
    /// Reads the stream until `text` arrives (bounded), and forgets what came before it.
    pub fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + WAIT;
        let mut buf = [0u8; 4096];
        while !self.seen.contains(text) {
            assert!(
                Instant::now() < deadline,
                "no {text:?} on the event stream; got {:?}",
                self.seen
            );
            match self.stream.read(&mut buf) {
                Ok(0) => panic!("the event stream closed"),
                Ok(n) => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => {} // timeout: read again
            }
        }
        let end = self.seen.find(text).unwrap() + text.len();
        self.seen.drain(..end);
    }

    /// Reads and forgets whatever arrives on the stream until it has been quiet for `quiet`:
    /// an event still on its way from an earlier change is not taken for the next one's.
    pub fn drain(&mut self, quiet: Duration) {
        let deadline = Instant::now() + WAIT;
        let mut buf = [0u8; 4096];
        let mut last = Instant::now();
        while last.elapsed() < quiet {
            assert!(
                Instant::now() < deadline,
                "the event stream never fell quiet"
            );
            match self.stream.read(&mut buf) {
                Ok(0) => panic!("the event stream closed"),
                Ok(_) => last = Instant::now(),
                Err(_) => {} // timeout: quiet so far
            }
        }
        self.seen.clear();
    }
}
