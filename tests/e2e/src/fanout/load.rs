//! The load generator, the same for every server: N plain HTTP/1.1 SSE
//! subscribers and one publisher, in this process.
//!
//! Each change carries the moment it was published, as `fanout PHASE MICROS`
//! in its text (the hub's task name, Nchan's message body). A subscriber
//! finds that marker in the `data:` it receives and records how long ago
//! that was, against the same clock; it does not parse the rest, so the
//! work per event is the same whatever the server's framing.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

use super::servers::Publish;

/// Phases a run may have: 0 is the warm-up change, then one per rate.
pub const PHASES: usize = 8;

const MARKER: &[u8] = b"fanout ";

fn micros_now() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// What every subscriber adds to as it goes.
#[derive(Default)]
pub struct Counts {
    /// Subscribers whose response has begun with 200.
    pub ready: AtomicUsize,
    /// Subscribers refused, or whose stream failed or ended.
    pub failed: AtomicUsize,
    /// Changes received, per phase, over all subscribers.
    pub received: [AtomicU64; PHASES],
    /// Subscribers that have received a warm-up change (phase 0).
    pub warm: AtomicUsize,
}

/// N open streams; [`Subscribers::stop`] ends them and hands back the
/// latencies each recorded, in µs, per phase.
pub struct Subscribers {
    pub counts: Arc<Counts>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<Vec<Vec<u32>>>>,
    first_error: Arc<OnceLock<String>>,
}

impl Subscribers {
    /// Opens `n` streams, taking `urls` in turn, at most 200 connecting at once.
    pub fn open(n: usize, urls: &[String]) -> anyhow::Result<Subscribers> {
        let http = reqwest::Client::builder().http1_only().pool_max_idle_per_host(0).build()?;
        let counts = Arc::new(Counts::default());
        let (stop, stopped) = watch::channel(false);
        let connecting = Arc::new(Semaphore::new(200));
        let first_error = Arc::new(OnceLock::new());
        let tasks = (0..n)
            .map(|i| {
                let one = Subscriber {
                    http: http.clone(),
                    url: urls[i % urls.len()].clone(),
                    counts: counts.clone(),
                    stopped: stopped.clone(),
                    connecting: connecting.clone(),
                    first_error: first_error.clone(),
                };
                tokio::spawn(one.run())
            })
            .collect();
        Ok(Subscribers { counts, stop, tasks, first_error })
    }

    /// Why the first subscriber that failed did, if one has.
    pub fn first_error(&self) -> Option<&str> {
        self.first_error.get().map(String::as_str)
    }

    /// Ends every stream; the latencies recorded, per phase.
    pub async fn stop(self) -> Vec<Vec<u32>> {
        let _ = self.stop.send(true);
        let mut phases = vec![Vec::new(); PHASES];
        for task in self.tasks {
            if let Ok(mine) = task.await {
                for (all, one) in phases.iter_mut().zip(mine) {
                    all.extend(one);
                }
            }
        }
        phases
    }
}

struct Subscriber {
    http: reqwest::Client,
    url: String,
    counts: Arc<Counts>,
    stopped: watch::Receiver<bool>,
    connecting: Arc<Semaphore>,
    first_error: Arc<OnceLock<String>>,
}

impl Subscriber {
    async fn run(mut self) -> Vec<Vec<u32>> {
        let mut latencies = vec![Vec::new(); PHASES];
        let mut response = match self.connect().await {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => return self.failed(format!("{} answered {}", self.url, r.status()), latencies),
            Err(e) => return self.failed(format!("{}: {e}", self.url), latencies),
        };
        self.counts.ready.fetch_add(1, Ordering::Relaxed);
        let mut pending = Vec::new();
        loop {
            tokio::select! {
                chunk = response.chunk() => match chunk {
                    Ok(Some(bytes)) => {
                        pending.extend_from_slice(&bytes);
                        self.take_markers(&mut pending, &mut latencies);
                    }
                    Ok(None) => return self.failed(format!("{}: the stream ended", self.url), latencies),
                    Err(e) => return self.failed(format!("{}: {e}", self.url), latencies),
                },
                _ = self.stopped.changed() => return latencies,
            }
        }
    }

    /// The stream's response. A 503 is tried again, as an SSE client
    /// would, for up to 30 s: a server may answer it while it connects to
    /// Redis (Nchan does, per worker).
    async fn connect(&self) -> reqwest::Result<reqwest::Response> {
        let give_up = Instant::now() + Duration::from_secs(30);
        loop {
            let response = {
                let _turn = self.connecting.acquire().await;
                self.http.get(&self.url).header("accept", "text/event-stream").send().await?
            };
            if response.status() != reqwest::StatusCode::SERVICE_UNAVAILABLE || Instant::now() > give_up {
                return Ok(response);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Records the latency of every marker in the complete lines of `pending`,
    /// and keeps only the incomplete last line.
    fn take_markers(&self, pending: &mut Vec<u8>, latencies: &mut [Vec<u32>]) {
        let Some(end) = memchr::memrchr(b'\n', pending) else { return };
        let now = micros_now();
        for at in memchr::memmem::find_iter(&pending[..end], MARKER) {
            let line_end = memchr::memchr(b'\n', &pending[at..end]).map_or(end, |n| at + n);
            let mut numbers = pending[at + MARKER.len()..line_end].split(|b| *b == b' ').map(leading_number);
            let (Some(Some(phase)), Some(Some(sent))) = (numbers.next(), numbers.next()) else { continue };
            let Some(mine) = latencies.get_mut(phase as usize) else { continue };
            if phase == 0 && mine.is_empty() {
                self.counts.warm.fetch_add(1, Ordering::Relaxed);
            }
            mine.push(now.saturating_sub(sent).min(u64::from(u32::MAX)) as u32);
            self.counts.received[phase as usize].fetch_add(1, Ordering::Relaxed);
        }
        pending.drain(..=end);
    }

    fn failed(&self, why: String, latencies: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
        if !*self.stopped.borrow() {
            self.counts.failed.fetch_add(1, Ordering::Relaxed);
            let _ = self.first_error.set(why);
        }
        latencies
    }
}

/// The decimal number at the start of `text`, if it starts with a digit.
fn leading_number(text: &[u8]) -> Option<u64> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&text[..digits]).ok()?.parse().ok()
}

/// The one publisher.
pub struct Publisher {
    http: reqwest::Client,
    to: Publish,
}

impl Publisher {
    pub fn new(to: Publish) -> anyhow::Result<Publisher> {
        Ok(Publisher { http: reqwest::Client::builder().http1_only().build()?, to })
    }

    /// Publishes one change of `phase`, stamped with the moment it was sent.
    pub async fn publish(&self, phase: usize) -> reqwest::Result<()> {
        let text = format!("fanout {phase} {}", micros_now());
        let request = match &self.to {
            Publish::Hub { url, token } => {
                self.http.post(format!("{url}/tasks")).bearer_auth(token).json(&serde_json::json!({ "name": text }))
            }
            Publish::Nchan { url } => self.http.post(url).header("content-type", "text/plain").body(text),
        };
        request.send().await?.error_for_status()?;
        Ok(())
    }

    /// Publishes the first change, trying again while the server answers
    /// 503 (Nchan does until each worker has reached Redis), for up to 30 s.
    pub async fn publish_first(&self) -> anyhow::Result<()> {
        let give_up = Instant::now() + Duration::from_secs(30);
        loop {
            match self.publish(0).await {
                Err(e) if e.status() == Some(reqwest::StatusCode::SERVICE_UNAVAILABLE) && Instant::now() < give_up => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                done => return Ok(done?),
            }
        }
    }

    /// Publishes `count` changes of `phase` at `rate` a second, on time
    /// whatever the server's answers take (each is sent on its own, so a
    /// slow answer does not hold back the next change and hide the delay
    /// from the latencies). A change the server refuses is counted, not
    /// tried again.
    pub async fn publish_at(self: &Arc<Self>, phase: usize, rate: u32, count: u32) -> Published {
        let started = Instant::now();
        let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate);
        let mut sent = tokio::task::JoinSet::new();
        for _ in 0..count {
            ticks.tick().await;
            let me = self.clone();
            sent.spawn(async move { me.publish(phase).await });
        }
        let mut published = Published { took: Duration::ZERO, refused: 0, first_refusal: None };
        while let Some(answered) = sent.join_next().await {
            if let Err(e) = answered.map_err(anyhow::Error::from).and_then(|r| Ok(r?)) {
                published.refused += 1;
                published.first_refusal.get_or_insert_with(|| format!("{e:#}"));
            }
        }
        published.took = started.elapsed();
        published
    }
}

/// How publishing went.
pub struct Published {
    /// From the first change sent to the last answer.
    pub took: Duration,
    /// Changes the server answered with an error, or did not answer.
    pub refused: u32,
    pub first_refusal: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscriber() -> Subscriber {
        Subscriber {
            http: reqwest::Client::new(),
            url: String::new(),
            counts: Arc::new(Counts::default()),
            stopped: watch::channel(false).1,
            connecting: Arc::new(Semaphore::new(1)),
            first_error: Arc::new(OnceLock::new()),
        }
    }

    #[test]
    fn markers_are_taken_from_complete_lines_only() {
        let one = subscriber();
        let mut latencies = vec![Vec::new(); PHASES];
        let sent = micros_now();
        let mut pending =
            format!("id: 1\ndata: {{\"name\":\"fanout 1 {sent}\"}}\n\ndata: fanout 2 {sent}").into_bytes();
        one.take_markers(&mut pending, &mut latencies);
        assert_eq!(latencies[1].len(), 1);
        assert!(latencies[2].is_empty(), "the last line is not complete yet");
        pending.extend_from_slice(b"\n\n");
        one.take_markers(&mut pending, &mut latencies);
        assert_eq!(latencies[2].len(), 1);
        assert_eq!(one.counts.received[1].load(Ordering::Relaxed), 1);
        let mut warm = format!("data: fanout 0 {sent}\ndata: fanout 0 {sent}\n").into_bytes();
        one.take_markers(&mut warm, &mut latencies);
        assert_eq!(one.counts.warm.load(Ordering::Relaxed), 1, "a subscriber is warm once");
        assert!(pending.is_empty());
    }

    #[test]
    fn a_marker_without_numbers_or_past_the_phases_is_skipped() {
        let one = subscriber();
        let mut latencies = vec![Vec::new(); PHASES];
        let mut pending = b"data: fanout x 12\ndata: fanout 99 12\ndata: fanout 3\n".to_vec();
        one.take_markers(&mut pending, &mut latencies);
        assert!(latencies.iter().all(Vec::is_empty));
    }
}
