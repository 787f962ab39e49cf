//! A socket wrapper that fails a read or a write that makes no progress for too long: a
//! client that stops sending (slowloris, a stalled body, an idle keep-alive connection) or
//! stops reading its response cannot hold a connection open.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{sleep, Sleep};

pub(super) struct TimeoutIo<S> {
    inner: S,
    read_timeout: Duration,
    write_timeout: Duration,
    read_deadline: Option<Pin<Box<Sleep>>>,
    write_deadline: Option<Pin<Box<Sleep>>>,
}

impl<S> TimeoutIo<S> {
    pub(super) fn new(inner: S, read_timeout: Duration, write_timeout: Duration) -> TimeoutIo<S> {
        TimeoutIo {
            inner,
            read_timeout,
            write_timeout,
            read_deadline: None,
            write_deadline: None,
        }
    }
}

/// Passes a ready result through (clearing the deadline); a pending one fails once it has
/// waited `timeout` (the timer is armed on the first wait).
fn guard<T>(
    poll: Poll<io::Result<T>>,
    deadline: &mut Option<Pin<Box<Sleep>>>,
    timeout: Duration,
    cx: &mut Context<'_>,
    what: &str,
) -> Poll<io::Result<T>> {
    if poll.is_ready() {
        *deadline = None;
        return poll;
    }
    let timer = deadline.get_or_insert_with(|| Box::pin(sleep(timeout)));
    if timer.as_mut().poll(cx).is_ready() {
        *deadline = None;
        return Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{what} timed out"),
        )));
    }
    Poll::Pending
}

impl<S: AsyncRead + Unpin> AsyncRead for TimeoutIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        guard(poll, &mut this.read_deadline, this.read_timeout, cx, "read")
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimeoutIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        guard(
            poll,
            &mut this.write_deadline,
            this.write_timeout,
            cx,
            "write",
        )
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
