//! How long to wait before reconnecting.

use std::time::Duration;

/// The wait before attempt `failures` (1-based): the server's retry delay at
/// first, then doubling, capped, with jitter so clients don't reconnect in step.
pub fn backoff(retry: Duration, failures: u32, max: Duration) -> Duration {
    if failures <= 1 {
        return retry.min(max);
    }
    let doubled = retry.saturating_mul(1u32 << (failures - 1).min(16)).min(max);
    let half = doubled / 2;
    half + half.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_at_the_retry_delay_doubles_and_is_capped() {
        let retry = Duration::from_secs(3);
        let max = Duration::from_secs(60);
        assert_eq!(backoff(retry, 1, max), retry);
        for _ in 0..100 {
            let second = backoff(retry, 2, max);
            assert!(second >= Duration::from_secs(3) && second <= Duration::from_secs(6), "{second:?}");
            let late = backoff(retry, 30, max);
            assert!(late >= Duration::from_secs(30) && late <= max, "{late:?}");
        }
    }
}
