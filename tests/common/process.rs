//! The processes tests start beside `briefing` (servers, browsers, builds in the background):
//! stopped when dropped, so that a failing assertion leaves none running; started on a free
//! port without a race; and polling with a limit.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server::WAIT;

/// A process in the background, stopped when dropped.
pub struct Running(pub Child);

impl Running {
    /// Stops the process now (a server going down in the middle of a test).
    pub fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls until `done` holds, every 50 ms for at most `limit`; whether it did.
pub fn within(limit: Duration, done: impl FnMut() -> bool) -> bool {
    poll(limit, Duration::from_millis(50), done)
}

/// Polls until `done` holds, every `every` for at most `limit`; whether it did.
pub fn poll(limit: Duration, every: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    loop {
        if done() {
            return true;
        }
        if started.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(every);
    }
}

/// Waits until `child` (`what`) accepts connections on `port` of 127.0.0.1: false if it
/// exited first (it could not take the port), and a panic after [`WAIT`].
pub fn wait_for_port(child: &mut Child, port: u16, what: &str) -> bool {
    let deadline = Instant::now() + WAIT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// Starts `what`, a server told its port on its command line, on a free port of 127.0.0.1:
/// `start` gives the command for a port. A port is free when asked and may be taken before the
/// server binds it; a server that exits instead of listening is started again on another
/// port. Its output is discarded; it is stopped when the result is dropped.
pub fn spawn_on_free_port(what: &str, mut start: impl FnMut(u16) -> Command) -> (Running, u16) {
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Running(
            start(port)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {what}: {e} (run .ci/run)")),
        );
        if wait_for_port(&mut child.0, port, what) {
            return (child, port);
        }
    }
    panic!("{what} exited five times instead of listening on a free port");
}
