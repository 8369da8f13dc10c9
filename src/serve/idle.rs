//! Connections that say nothing are closed: the preview server keeps no connection open that
//! neither sends nor receives for [`IDLE`], so a client that opens connections and goes
//! quiet (or a half-open one whose other end is gone) cannot hold the server's descriptors.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// How long a connection may go without a byte either way. The live-reload stream sends a
/// keep-alive every 15 s, so it stays open; a browser opens a new connection when an idle
/// one was closed.
pub const IDLE: Duration = Duration::from_secs(20);

/// A listener whose connections close after [`IDLE`] without traffic.
pub struct Listener(pub TcpListener);

impl axum::serve::Listener for Listener {
    type Io = Idle;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Idle, SocketAddr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (Idle::new(stream), addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A connection with a deadline that every byte read or written moves on by [`IDLE`].
pub struct Idle {
    stream: TcpStream,
    deadline: Pin<Box<Sleep>>,
}

impl Idle {
    fn new(stream: TcpStream) -> Idle {
        Idle {
            stream,
            deadline: Box::pin(tokio::time::sleep(IDLE)),
        }
    }

    fn active(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + IDLE);
    }

    /// For an operation that must wait: an error once the deadline has passed, else waiting
    /// (woken by the deadline too).
    fn expired<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "nothing sent or received for too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for Idle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.active();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.expired(cx),
        }
    }
}

impl AsyncWrite for Idle {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    this.active();
                }
                Poll::Ready(Ok(n))
            }
            // A client that takes nothing of what it asked for is given up as well.
            Poll::Pending => this.expired(cx),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.stream).poll_flush(cx) {
            Poll::Pending => this.expired(cx),
            done => done,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
