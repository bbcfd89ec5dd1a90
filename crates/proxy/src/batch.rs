//! Write batching across the requests of one worker's event-loop turn.
//!
//! A worker that writes each upstream request and each response the moment it is ready
//! spreads its writes over the whole turn, and every write can wake its peer (a client or an
//! upstream) for just one message: on a busy machine the woken peer often preempts the worker
//! at the return of that very `send`, handles its one message and sleeps again, and the
//! worker and its peers ping-pong on one CPU, one context switch per message. HAProxy's and
//! nginx's event loops read everything that is ready first and write afterwards.
//!
//! [`send`] goes one step further on Linux: the writes of a turn are collected and handed to
//! the kernel in a single `io_uring_enter`, so the peers are woken during one system call
//! and can preempt the worker only after all of them are out; each peer then finds a batch
//! of messages instead of one. Only the first write of a message goes this way; what does
//! not fit in the socket buffer (or every write, where io_uring is unavailable) is written
//! the ordinary way. When io_uring cannot be used (an old kernel, a seccomp filter), a
//! request yields once before writing instead, so a turn's writes at least leave together.
//! A request alone on its worker does not wait.

use std::cell::Cell;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

thread_local! {
    static ACTIVE: Cell<u32> = const { Cell::new(0) };
}

/// Counts a request as in progress on this thread for its lifetime.
pub(crate) struct Active(());

impl Active {
    pub(crate) fn enter() -> Self {
        ACTIVE.with(|a| a.set(a.get() + 1));
        Active(())
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(a.get().saturating_sub(1)));
    }
}

/// Requests in progress on this thread.
pub(crate) fn active() -> u32 {
    ACTIVE.with(|a| a.get())
}

/// Yield once if other requests are in progress on this worker (see the module docs).
pub(crate) async fn batch_point() {
    if active() > 1 {
        tokio::task::yield_now().await;
    }
}

/// Writes sent through io_uring, and the submissions that carried them, by every worker.
static WRITES: AtomicU64 = AtomicU64::new(0);
static FLUSHES: AtomicU64 = AtomicU64::new(0);

/// (writes, flushes) batched through io_uring so far, for the metrics.
pub(crate) fn batched() -> (u64, u64) {
    (WRITES.load(Ordering::Relaxed), FLUSHES.load(Ordering::Relaxed))
}

/// Lets [`send`] batch through io_uring on this thread: a proxy worker thread, which runs a
/// current-thread runtime (a queued send must stay on the thread that queued it).
pub(crate) fn enable_on_this_thread() {
    #[cfg(target_os = "linux")]
    uring::enable_on_this_thread();
}

/// The raw socket of a plain TCP connection, for [`send`].
#[cfg(unix)]
pub(crate) type Socket = Option<std::os::fd::RawFd>;
#[cfg(not(unix))]
pub(crate) type Socket = Option<()>;

/// Send the start of `buf` on `socket` with the other writes of this turn (see the module
/// docs). Returns how many bytes went out, possibly none (the caller writes the rest the
/// ordinary way), and `buf` itself: a queued send owns its buffer until the kernel is done
/// with it. Without a socket (TLS), without io_uring, or with no other request in progress,
/// nothing is sent here (after one yield if other requests are in progress).
///
/// The future is not `Send`: it must be polled, completed and dropped on the worker thread
/// whose batcher queued it, which the compiler checks (worker connections are local tasks,
/// `server.rs`).
pub(crate) async fn send(socket: Socket, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
    if active() <= 1 || buf.is_empty() {
        return (Ok(0), buf);
    }
    #[cfg(target_os = "linux")]
    if let Some(fd) = socket
        && uring::available()
    {
        return uring::Send::new(fd, buf).await;
    }
    let _ = socket;
    tokio::task::yield_now().await;
    (Ok(0), buf)
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod uring {
    //! One io_uring per worker thread, used only to submit a turn's sends together.
    //!
    //! The contract of this module's unsafe code (the only in the crate):
    //!
    //! - The kernel reads a queued send's bytes through a raw pointer. The bytes belong to the
    //!   queue entry (`Entry::buf`, a `Vec` moved in by [`Send::new`] and moved back out when
    //!   the send completes), not to the caller: no borrow can end, and no caller can free or
    //!   reuse the buffer, while the entry is queued. A `Send` future that is leaked
    //!   (`mem::forget`) leaks its entry and buffer with it; nothing dangles.
    //! - A flush runs inside one poll of the flusher task and returns only once the kernel has
    //!   completed (or cancelled) every send it submitted, so the kernel never holds a pointer
    //!   between polls: dropping an entry at any other time is sound.
    //! - The batcher is per thread (a `thread_local!`), and a [`Send`] is `!Send`
    //!   (`PhantomData<*const ()>`): the compiler keeps it, and every future that awaits it,
    //!   on the thread whose batcher holds its entry. Worker connections therefore run as
    //!   local tasks (`tokio::task::spawn_local` in a `LocalSet`), and the flusher too, so it
    //!   runs after the tasks already runnable in the worker's turn.

    use io_uring::{IoUring, opcode, types};
    use std::cell::RefCell;
    use std::future::Future;
    use std::io;
    use std::marker::PhantomData;
    use std::os::fd::RawFd;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    const RING: u32 = 256;
    const CANCEL: u64 = u64::MAX;

    struct Entry {
        fd: RawFd,
        /// The bytes to send, owned while queued (see the module docs).
        buf: Vec<u8>,
        /// The send's result once flushed (bytes, or a negative errno).
        result: Option<i32>,
        waker: Option<Waker>,
    }

    #[derive(Default)]
    struct Batcher {
        enabled: bool,
        /// None until first used; Some(None) when io_uring is unavailable.
        ring: Option<Option<IoUring>>,
        entries: Vec<Option<Entry>>,
        free: Vec<usize>,
        /// Entries waiting for the next flush, in the order they were queued.
        queued: Vec<usize>,
        flusher: Option<Waker>,
        flusher_spawned: bool,
        flush_due: bool,
        /// Submissions made by this thread (tests).
        flushes: u64,
    }

    thread_local! {
        static B: RefCell<Batcher> = RefCell::new(Batcher::default());
    }

    /// Lets this thread batch through io_uring: only a worker thread running a
    /// current-thread runtime may, since a queued send must be flushed, completed and
    /// dropped on the thread that queued it.
    pub(crate) fn enable_on_this_thread() {
        B.with(|b| b.borrow_mut().enabled = true);
    }

    #[cfg(test)]
    pub(super) fn flushes_here() -> u64 {
        B.with(|b| b.borrow().flushes)
    }

    pub(super) fn available() -> bool {
        B.with(|b| {
            let mut b = b.borrow_mut();
            if !b.enabled {
                return false;
            }
            if b.ring.is_none() {
                let ring = IoUring::new(RING).ok();
                if ring.is_none() {
                    tracing::debug!("io_uring is unavailable: writes are batched by yielding");
                }
                b.ring = Some(ring);
            }
            matches!(b.ring, Some(Some(_)))
        })
    }

    pub(super) struct Send {
        fd: RawFd,
        /// The buffer until the send is queued; the entry owns it from then on.
        buf: Option<Vec<u8>>,
        slot: Option<usize>,
        /// Not `Send`: it belongs to this thread's batcher (see the module docs).
        _local: PhantomData<*const ()>,
    }

    impl Send {
        pub(super) fn new(fd: RawFd, buf: Vec<u8>) -> Self {
            Send { fd, buf: Some(buf), slot: None, _local: PhantomData }
        }
    }

    impl Future for Send {
        type Output = (io::Result<usize>, Vec<u8>);

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let this = &mut *self;
            B.with(|b| {
                let mut b = b.borrow_mut();
                let Some(slot) = this.slot else {
                    let buf = this.buf.take().unwrap_or_default();
                    let entry = Entry { fd: this.fd, buf, result: None, waker: None };
                    let slot = match b.free.pop() {
                        Some(i) => i,
                        None => {
                            b.entries.push(None);
                            b.entries.len() - 1
                        }
                    };
                    b.entries[slot] = Some(Entry { waker: Some(cx.waker().clone()), ..entry });
                    b.queued.push(slot);
                    this.slot = Some(slot);
                    if !b.flush_due {
                        b.flush_due = true;
                        let wake = b.flusher.take();
                        let spawn = wake.is_none() && !b.flusher_spawned;
                        b.flusher_spawned |= spawn;
                        // Outside the borrow: waking or spawning may drop a task.
                        drop(b);
                        if let Some(w) = wake {
                            w.wake();
                        }
                        if spawn {
                            // A local task, like the worker's connections: it runs after
                            // the tasks already runnable in this turn.
                            tokio::task::spawn_local(Flusher);
                        }
                    }
                    return Poll::Pending;
                };
                let Some(entry) = b.entries.get_mut(slot).and_then(Option::as_mut) else {
                    // Only this future removes its entry; unreachable, but never a panic on
                    // the request path: the caller fails the connection.
                    this.slot = None;
                    return Poll::Ready((Err(io::Error::other("batched send lost its entry")), Vec::new()));
                };
                match entry.result {
                    None => {
                        entry.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                    Some(r) => {
                        let Entry { buf, .. } = b.entries[slot].take().expect("checked above");
                        b.free.push(slot);
                        this.slot = None;
                        let sent = if r >= 0 {
                            Ok(r as usize)
                        } else if r == -nix::libc::EAGAIN || r == -nix::libc::ECANCELED {
                            Ok(0)
                        } else {
                            Err(io::Error::from_raw_os_error(-r))
                        };
                        Poll::Ready((sent, buf))
                    }
                }
            })
        }
    }

    impl Drop for Send {
        fn drop(&mut self) {
            if let Some(slot) = self.slot.take() {
                // Not flushed yet, or flushed and never polled again: either way the kernel
                // no longer holds the pointer (see the module docs).
                // (Never inside a borrow of the batcher: nothing drops a task while it holds one.)
                let _ = B.try_with(|b| {
                    let mut b = b.borrow_mut();
                    b.queued.retain(|&i| i != slot);
                    b.entries[slot] = None;
                    b.free.push(slot);
                });
            }
        }
    }

    /// The per-worker task that flushes the queued sends. Woken by the first send queued
    /// after a flush, it runs after the tasks that were already runnable, so it collects the
    /// sends of the whole turn.
    struct Flusher;

    impl Future for Flusher {
        type Output = ();

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let wakers = B.with(|b| {
                let mut b = b.borrow_mut();
                b.flusher = Some(cx.waker().clone());
                b.flush_due = false;
                flush(&mut b)
            });
            for w in wakers {
                w.wake();
            }
            Poll::Pending
        }
    }

    impl Drop for Flusher {
        fn drop(&mut self) {
            // Its runtime is gone: a later runtime on this thread spawns a new one.
            let _ = B.try_with(|b| {
                let Ok(mut b) = b.try_borrow_mut() else { return };
                b.flusher = None;
                b.flusher_spawned = false;
                b.flush_due = false;
            });
        }
    }

    fn flush(b: &mut Batcher) -> Vec<Waker> {
        let queued = std::mem::take(&mut b.queued);
        let mut wakers = Vec::with_capacity(queued.len());
        let Batcher { ring: Some(Some(ring)), entries, .. } = b else {
            return wakers;
        };
        let mut failed = false;
        let submissions = queued.len().div_ceil(RING as usize) as u64;
        b.flushes += submissions;
        super::FLUSHES.fetch_add(submissions, super::Ordering::Relaxed);
        for chunk in queued.chunks(RING as usize) {
            let mut pushed = 0;
            for &i in chunk {
                let Some(e) = entries[i].as_ref() else { continue };
                let sqe = opcode::Send::new(types::Fd(e.fd), e.buf.as_ptr(), e.buf.len().min(u32::MAX as usize) as u32)
                    .flags(nix::libc::MSG_NOSIGNAL | nix::libc::MSG_DONTWAIT)
                    .build()
                    .user_data(i as u64);
                // SAFETY: the entry owns the buffer, and keeps it (no entry is removed during
                // a flush) until this flush has reaped the send's completion (module docs).
                if unsafe { ring.submission().push(&sqe) }.is_err() {
                    break;
                }
                pushed += 1;
            }
            super::WRITES.fetch_add(pushed as u64, super::Ordering::Relaxed);
            let mut done = 0;
            let mut wait = 0;
            loop {
                match ring.submit_and_wait(wait) {
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.raw_os_error(),
                            Some(nix::libc::EINTR | nix::libc::EBUSY | nix::libc::EAGAIN)
                        ) => {}
                    Err(e) => {
                        // Only invalid arguments fail here, and then the kernel took none of
                        // this call's entries. Stop using the ring; callers write normally.
                        tracing::warn!(error = %e, "io_uring submission failed: writes are no longer batched");
                        failed = true;
                        break;
                    }
                }
                for cqe in ring.completion() {
                    let i = cqe.user_data();
                    if i == CANCEL {
                        continue;
                    }
                    if let Some(e) = entries.get_mut(i as usize).and_then(Option::as_mut) {
                        e.result = Some(cqe.result());
                    }
                    done += 1;
                }
                if done >= pushed {
                    break;
                }
                // Sends the kernel did not finish at once (it should, with MSG_DONTWAIT):
                // cancel them and wait, so no pointer outlives this flush.
                for &i in chunk {
                    if entries[i].as_ref().is_some_and(|e| e.result.is_none()) {
                        let cancel = opcode::AsyncCancel::new(i as u64).build().user_data(CANCEL);
                        // SAFETY: a cancel carries no buffer.
                        let _ = unsafe { ring.submission().push(&cancel) };
                    }
                }
                wait = 1;
            }
            if failed {
                break;
            }
        }
        if failed {
            b.ring = Some(None);
        }
        for &i in &queued {
            if let Some(e) = b.entries[i].as_mut() {
                if e.result.is_none() {
                    e.result = Some(-nix::libc::EAGAIN);
                }
                if let Some(w) = e.waker.take() {
                    wakers.push(w);
                }
            }
        }
        wakers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    fn poll_once(f: impl Future<Output = ()>) -> Poll<()> {
        let mut cx = Context::from_waker(Waker::noop());
        std::pin::pin!(f).poll(&mut cx)
    }

    #[test]
    fn a_request_alone_does_not_wait_and_one_among_others_yields_once() {
        let first = Active::enter();
        assert_eq!(active(), 1);
        // Alone on this thread: ready at the first poll.
        assert_eq!(poll_once(batch_point()), Poll::Ready(()));
        let second = Active::enter();
        assert_eq!(active(), 2);
        // Another request in progress: the first poll yields (outside a Tokio runtime the
        // yield wakes at once, but it is still a Pending).
        let mut cx = Context::from_waker(Waker::noop());
        let mut f = std::pin::pin!(batch_point());
        assert_eq!(f.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(f.as_mut().poll(&mut cx), Poll::Ready(()));
        drop(second);
        drop(first);
        assert_eq!(active(), 0);
        assert_eq!(poll_once(batch_point()), Poll::Ready(()));
    }
}

#[cfg(all(test, target_os = "linux"))]
mod uring_tests {
    use super::*;
    use std::future::Future;
    use std::os::fd::AsRawFd;
    use std::task::Poll;
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

    /// Run `f` on a fresh thread with its own current-thread runtime and local task set, as
    /// a worker does (the batcher is per thread), with io_uring enabled or not.
    fn on_worker<F: Future<Output = ()>>(uring: bool, f: impl FnOnce() -> F + Send + 'static) {
        std::thread::spawn(move || {
            if uring {
                enable_on_this_thread();
            }
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(tokio::task::LocalSet::new().run_until(f()));
        })
        .join()
        .unwrap();
    }

    async fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (b, _) = l.accept().await.unwrap();
        (a, b)
    }

    async fn read_to_end(mut s: TcpStream) -> Vec<u8> {
        let mut v = Vec::new();
        s.read_to_end(&mut v).await.unwrap();
        v
    }

    #[test]
    fn the_writes_of_a_turn_leave_in_one_submission() {
        on_worker(true, || async {
            let (_a, _b) = (Active::enter(), Active::enter());
            let (mut p1, mut p2, mut p3) = (pair().await, pair().await, pair().await);
            let before = uring::flushes_here();
            let (fd1, fd2, fd3) = (p1.0.as_raw_fd(), p2.0.as_raw_fd(), p3.0.as_raw_fd());
            let sent = tokio::join!(
                send(Some(fd1), b"one".to_vec()),
                send(Some(fd2), b"two".to_vec()),
                send(Some(fd3), b"three".to_vec())
            );
            assert_eq!((sent.0.0.unwrap(), sent.1.0.unwrap(), sent.2.0.unwrap()), (3, 3, 5));
            assert_eq!((&sent.0.1[..], &sent.2.1[..]), (&b"one"[..], &b"three"[..]), "each buffer comes back");
            assert_eq!(uring::flushes_here(), before + 1, "three sends, one submission");
            for (p, want) in [(&mut p1, &b"one"[..]), (&mut p2, b"two"), (&mut p3, b"three")] {
                let mut got = vec![0; want.len()];
                p.1.read_exact(&mut got).await.unwrap();
                assert_eq!(got, want);
            }
        });
    }

    #[test]
    fn a_full_socket_takes_what_fits_and_the_count_is_exact() {
        on_worker(true, || async {
            let (_a, _b) = (Active::enter(), Active::enter());
            let (w, r) = pair().await;
            let big = vec![7u8; 64 << 20];
            // Nobody reads yet: the kernel takes what fits and the send never blocks.
            let (n, big) = send(Some(w.as_raw_fd()), big).await;
            let n = n.unwrap();
            assert!(n < big.len(), "64 MiB cannot fit in the socket buffers ({n})");
            let n2 = send(Some(w.as_raw_fd()), big).await.0.unwrap();
            drop(w);
            let got = read_to_end(r).await;
            assert_eq!(got.len(), n + n2, "every byte reported sent arrived, and no more");
        });
    }

    #[test]
    fn a_send_dropped_before_its_flush_is_not_sent() {
        on_worker(true, || async {
            let (_a, _b) = (Active::enter(), Active::enter());
            let ((w1, r1), (w2, r2)) = (pair().await, pair().await);
            let mut dropped = Box::pin(send(Some(w1.as_raw_fd()), b"dropped".to_vec()));
            let queued = std::future::poll_fn(|cx| Poll::Ready(dropped.as_mut().poll(cx).is_pending())).await;
            assert!(queued, "the send waits for the turn's flush");
            drop(dropped);
            assert_eq!(send(Some(w2.as_raw_fd()), b"kept".to_vec()).await.0.unwrap(), 4);
            drop((w1, w2));
            assert_eq!(read_to_end(r1).await, b"");
            assert_eq!(read_to_end(r2).await, b"kept");
        });
    }

    #[test]
    fn without_io_uring_or_other_requests_nothing_is_sent_here() {
        on_worker(false, || async {
            let (w, _r) = pair().await;
            let (_a, _b) = (Active::enter(), Active::enter());
            // Not a worker thread: one yield, then the caller writes everything itself.
            assert_eq!(send(Some(w.as_raw_fd()), b"x".to_vec()).await.0.unwrap(), 0);
        });
        on_worker(true, || async {
            let (w, _r) = pair().await;
            let _a = Active::enter();
            // Alone on its worker: no wait, nothing batched.
            let before = uring::flushes_here();
            assert_eq!(send(Some(w.as_raw_fd()), b"x".to_vec()).await.0.unwrap(), 0);
            assert_eq!(uring::flushes_here(), before);
        });
    }

    /// A queued send owns its bytes: a future leaked after it was queued leaves nothing
    /// dangling, and the flush sends exactly those bytes (with a borrowed buffer the kernel
    /// would have read freed memory).
    #[test]
    fn a_leaked_send_leaves_nothing_dangling() {
        on_worker(true, || async {
            let (_a, _b) = (Active::enter(), Active::enter());
            let ((w1, r1), (w2, r2)) = (pair().await, pair().await);
            let mut leaked = Box::pin(send(Some(w1.as_raw_fd()), b"leaked bytes".to_vec()));
            let queued = std::future::poll_fn(|cx| Poll::Ready(leaked.as_mut().poll(cx).is_pending())).await;
            assert!(queued);
            std::mem::forget(leaked);
            // Overwrite freed memory, then let the flush run with another send.
            let noise = vec![0xAAu8; 4096];
            assert_eq!(send(Some(w2.as_raw_fd()), b"kept".to_vec()).await.0.unwrap(), 4);
            drop((noise, w1, w2));
            assert_eq!(read_to_end(r1).await, b"leaked bytes");
            assert_eq!(read_to_end(r2).await, b"kept");
        });
    }

    /// Resolves only when `T` is not `Send` (two impls apply to a `Send` type, and the call is
    /// ambiguous): the static check behind "a queued send stays on its thread".
    trait AmbiguousIfSend<A> {
        fn check() {}
    }
    impl<T: ?Sized> AmbiguousIfSend<()> for T {}
    impl<T: ?Sized + std::marker::Send> AmbiguousIfSend<u8> for T {}

    #[test]
    fn a_queued_send_cannot_leave_its_thread() {
        <uring::Send as AmbiguousIfSend<_>>::check();
    }
}
