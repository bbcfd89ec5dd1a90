//! Where hyper's tasks run: as local tasks of the worker thread, like the connections
//! themselves (a request's future is not `Send`: batch.rs). A leaf both HTTP/2 sides use
//! (the client connections' `h2.rs` and the upstream pool's `upstream/h2.rs`).

/// Runs hyper's per-stream and per-connection tasks with `spawn_local`.
#[derive(Clone, Copy, Debug)]
pub struct LocalExec;

impl<F: std::future::Future + 'static> hyper::rt::Executor<F> for LocalExec {
    fn execute(&self, fut: F) {
        tokio::task::spawn_local(fut);
    }
}
