//! The span store's ingest queue: the OTLP receiver hands its spans here and waits until
//! they are stored. A flood of exports cannot hold the database: one writer task stores
//! them in short transactions of at most [`INSERT_BATCH`] spans, and on SQLite leaves the
//! write lock free for as long as it held it after each one, so API writes waiting for the
//! lock get it promptly. What is queued is bounded in bytes: beyond it, [`SpanIngest::submit`]
//! answers [`IngestError::Full`] at once (the receiver's retryable 429).
//!
//! What it does not know: HTTP, and what a span means (the receiver validates and bounds
//! each request; the store evicts the oldest spans).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::db::{Db, DbKind};
use crate::store::StoreError;
use crate::store::spans::{PreparedSpan, SpanStoreLimits, insert_spans};

/// Spans per write transaction.
pub const INSERT_BATCH: usize = 256;

/// Why spans were not stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The queue is full (the store is behind); try again shortly.
    #[error("the span store is busy; retry later")]
    Full,
    /// The writer has stopped (shutting down).
    #[error("the span store is not accepting spans")]
    Closed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Job {
    spans: Vec<PreparedSpan>,
    /// The job's bytes in the queue, given back when it is stored.
    _room: OwnedSemaphorePermit,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// A handle to the ingest queue (cheap to clone).
#[derive(Clone)]
pub struct SpanIngest {
    jobs: mpsc::UnboundedSender<Job>,
    /// Free bytes in the queue (one permit per byte).
    room: Arc<Semaphore>,
    capacity: u32,
}

impl SpanIngest {
    /// Start the writer task (it ends when every handle is dropped).
    pub fn start(db: Db, limits: SpanStoreLimits, queue_bytes: usize) -> Self {
        let capacity = u32::try_from(queue_bytes.max(1)).unwrap_or(u32::MAX);
        let (jobs, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(db, limits, rx));
        Self { jobs, room: Arc::new(Semaphore::new(capacity as usize)), capacity }
    }

    /// Bytes accepted and not yet stored.
    pub fn queued_bytes(&self) -> usize {
        (self.capacity as usize).saturating_sub(self.room.available_permits())
    }

    /// Queue `spans` and wait until they are stored. Never waits for room: a full queue is
    /// [`IngestError::Full`] at once.
    pub async fn submit(&self, spans: Vec<PreparedSpan>) -> Result<(), IngestError> {
        if spans.is_empty() {
            return Ok(());
        }
        let bytes: usize = spans.iter().map(PreparedSpan::size_bytes).sum();
        // A job larger than the whole queue waits for an empty queue rather than never fitting.
        let bytes = u32::try_from(bytes).unwrap_or(u32::MAX).clamp(1, self.capacity);
        let room = self.room.clone().try_acquire_many_owned(bytes).map_err(|_| IngestError::Full)?;
        let (done, stored) = oneshot::channel();
        self.jobs.send(Job { spans, _room: room, done }).map_err(|_| IngestError::Closed)?;
        stored.await.map_err(|_| IngestError::Closed)?.map_err(IngestError::from)
    }
}

async fn writer(db: Db, limits: SpanStoreLimits, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = jobs.recv().await {
        let mut result = Ok(());
        for batch in job.spans.chunks(INSERT_BATCH) {
            let started = Instant::now();
            if let Err(e) = insert_spans(&db, batch, &limits).await {
                result = Err(e);
                break;
            }
            // SQLite has one write lock: leave it free as long as this batch held it, so a
            // writer waiting in its busy handler finds it free. PostgreSQL locks rows only.
            match db.kind {
                DbKind::Sqlite => tokio::time::sleep(started.elapsed().max(Duration::from_millis(1))).await,
                DbKind::Postgres => tokio::task::yield_now().await,
            }
        }
        let _ = job.done.send(result);
    }
}
