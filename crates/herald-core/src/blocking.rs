//! Blocking work off the async runtime: the keyring, files, SQLite opened
//! outside the store writer. A few milliseconds of it on a runtime thread
//! hold up every feed that thread serves, so it goes through [`run`], and
//! through nothing else: one place to find it, and one way it fails.

/// Runs `work` on the runtime's blocking threads and returns what it
/// returns. A panic in it is a panic here, as if it had run in place.
pub async fn run<T, F>(work: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Cancelled: the runtime is shutting down, and no one waits for this.
        Err(_) => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn it_answers_off_the_runtime_and_a_panic_stays_a_panic() {
        let here = std::thread::current().id();
        let there = super::run(|| std::thread::current().id()).await;
        assert_ne!(here, there, "on another thread");
        let panicked = tokio::spawn(super::run(|| panic!("keyring on fire"))).await.unwrap_err();
        let message = panicked.into_panic().downcast::<&str>().map(|m| *m).unwrap_or_default();
        assert_eq!(message, "keyring on fire");
    }
}
