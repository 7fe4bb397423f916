//! The single store writer: one thread owns the SQLite connection, and
//! every write (and every read a sink asks for) runs there, in the order it
//! was asked. SQLite allows one writer at a time anyway; giving it a thread
//! of its own keeps its blocking calls off the async runtime, and makes
//! "events and cursor in one transaction" the only way anything is written.

use tokio::sync::oneshot;

use crate::store::Store;

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// A handle to the writer thread; cheap to clone. The thread ends when the
/// last handle is dropped.
#[derive(Clone)]
pub struct Writer {
    jobs: std::sync::mpsc::Sender<Job>,
}

/// The writer thread is gone (it panicked, or the engine is shutting down).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("the store writer has stopped")]
pub struct WriterGone;

impl Writer {
    /// Starts the thread, which owns `store` from now on.
    pub fn start(mut store: Store) -> std::io::Result<Writer> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new().name("herald-store".into()).spawn(move || {
            while let Ok(job) = queue.recv() {
                job(&mut store);
            }
        })?;
        Ok(Writer { jobs })
    }

    /// Runs `work` on the store, after everything asked before it.
    pub async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> Result<T, WriterGone> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |store| {
            let _ = done.send(work(store));
        });
        self.jobs.send(job).map_err(|_| WriterGone)?;
        result.await.map_err(|_| WriterGone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_in_order_off_the_runtime() {
        let writer = Writer::start(Store::in_memory().unwrap()).unwrap();
        let feed = writer.call(|s| s.feed_for("a", "http://127.0.0.1/")).await.unwrap().unwrap();
        let name = writer.call(|_| std::thread::current().name().map(str::to_owned)).await.unwrap();
        assert_eq!(name.as_deref(), Some("herald-store"));
        let cursor = writer.call(move |s| s.set_cursor(feed, "9").and_then(|_| s.cursor(feed))).await.unwrap();
        assert_eq!(cursor.unwrap().as_deref(), Some("9"));
    }
}
