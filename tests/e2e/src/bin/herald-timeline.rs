//! The timeline at 100,000 stored events, on the real app under WebDriver:
//! how long until the window paints its first rows, and the frame times
//! while the timeline scrolls through, beside the same with 100 events in
//! the same run (the baseline). Two more baselines from the same window: a
//! frame at rest, and the same rows cloned into a plain list with no
//! script, scrolled the same way.
//!
//! The scroll moves `STEP` pixels a frame (default 100, about a mouse
//! wheel's notch) for `FRAMES` frames (default 120).
//!
//! ```sh
//! xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
//!   cargo run -p herald-e2e --bin herald-timeline -- target/release/herald-window
//! ```

use std::path::PathBuf;

use herald_core::feed::meaning::{raw, Context};
use herald_core::feed::{Feed, Preset};
use herald_core::sse::Event;
use herald_core::store::Store;
use herald_e2e::driver::Driver;
use serde_json::Value;

/// A store with a paused message feed holding `events` events, and a
/// second, empty one: with two feeds the window stays on All activity.
fn store_with(dir: &std::path::Path, events: usize) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("timeline-{events}.db"));
    let mut store = Store::open(&path)?;
    let mut feed = Feed::new("alerts", "http://127.0.0.1:9/alerts/sse").with_preset(Preset::Ntfy);
    feed.settings.paused = true;
    let mut other = Feed::new("other", "http://127.0.0.1:9/other/sse");
    other.settings.paused = true;
    store.import_feeds(&[feed, other])?;
    let id = store.feed_id("alerts")?;
    let day = 24 * 3600 * 1000;
    let now = herald_core::sse::now_ms();
    for first in (0..events).step_by(1000) {
        let batch: Vec<Event> = (first..(first + 1000).min(events))
            .map(|i| Event {
                event: "message".into(),
                data: format!("alert {i}: disk {} on host-{}", i % 100, i % 37).into(),
                last_event_id: i.to_string().into(),
            })
            .collect();
        // Spread over the last 30 days, so the timeline has day headings.
        let at = now - ((events - first) as i64 * 30 * day / events as i64);
        store.ingest_with(id, &batch, at, |_, event, _| {
            Ok(Some(raw(Context { feed: "alerts", me: None, now: at }, event)))
        })?;
    }
    Ok(path)
}

/// Opens the app on `store`, and measures the first rows and scrolling.
async fn measure(
    app_binary: &PathBuf,
    store: &std::path::Path,
    webview: &std::path::Path,
) -> anyhow::Result<(f64, Value)> {
    let driver = Driver::start(&[
        ("HERALD_STORE", store.to_str().expect("UTF-8")),
        ("XDG_DATA_HOME", webview.to_str().expect("UTF-8")),
    ])
    .await?;
    let app = driver.session(app_binary).await?;
    let first = herald_e2e::eventually("the first rows", || async {
        let mark = app
            .execute("return performance.getEntriesByName('herald:first-rows')[0]?.startTime ?? null", vec![])
            .await?;
        Ok(mark.as_f64())
    })
    .await?;
    let frames = app
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const FRAMES = arguments[0];
             const STEP = arguments[1];
             const scroller = document.querySelector('.scroller');
             const times = [], handlers = [], moves = [];
             // The page's scroll handlers (the virtual list and what it
             // updates): from a capturing listener, which runs first, to
             // one added last, which runs last.
             let began = null;
             const first = () => { began = performance.now(); };
             const last_ = () => { if (began !== null) handlers.push(performance.now() - began); began = null; };
             document.addEventListener('scroll', first, true);
             scroller.addEventListener('scroll', last_);
             let last = null;
             const median = (xs) => { xs.sort((a, b) => a - b); return xs[Math.floor((xs.length - 1) / 2)] ?? 0; };
             // First the page at rest, for what a frame costs here at all.
             const idle = [];
             function rest(t) {
               if (last !== null) idle.push(t - last);
               last = t;
               if (idle.length < 60) requestAnimationFrame(rest);
               else { last = null; requestAnimationFrame(frame); }
             }
             function frame(t) {
               if (last !== null) times.push(t - last);
               last = t;
               // Moving the scroller lays out what the last frame changed.
               const at = performance.now();
               scroller.scrollTop += STEP;
               moves.push(performance.now() - at);
               if (times.length < FRAMES) requestAnimationFrame(frame);
               else {
                 document.removeEventListener('scroll', first, true);
                 scroller.removeEventListener('scroll', last_);
                 times.sort((a, b) => a - b);
                 const at = (p) => times[Math.round((times.length - 1) * p)];
                 done({ median: at(0.5), p95: at(0.95), max: times[times.length - 1],
                        handlers: median(handlers), move: median(moves), idle: median(idle),
                        rows: document.querySelectorAll('.entry-open').length, top: scroller.scrollTop });
               }
             }
             requestAnimationFrame(rest);",
            vec![
                serde_json::json!(std::env::var("FRAMES").ok().and_then(|f| f.parse::<u32>().ok()).unwrap_or(120)),
                serde_json::json!(std::env::var("STEP").ok().and_then(|f| f.parse::<u32>().ok()).unwrap_or(100)),
            ],
        )
        .await?;
    // The baseline of the same run: the same rows, cloned 300 times into a
    // plain list with no script at all, scrolled the same way.
    let plain = app
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const FRAMES = arguments[0];
             const STEP = arguments[1];
             const scroller = document.querySelector('.scroller');
             const rows = [...scroller.querySelectorAll('li.row')];
             const list = document.createElement('ol');
             for (let i = 0; i < 300; i++) {
               const row = rows[i % rows.length].cloneNode(true);
               row.style.position = 'static';
               row.style.transform = 'none';
               list.appendChild(row);
             }
             const plain = document.createElement('div');
             plain.className = 'scroller';
             plain.appendChild(list);
             scroller.replaceWith(plain);
             const median = (xs) => { xs.sort((a, b) => a - b); return xs[Math.floor((xs.length - 1) / 2)]; };
             // Scrolled as it is; then scrolled again with one line of text
             // changed each frame, as a virtual list changes its rows.
             const still = [], touched = [];
             let last = null;
             function frame(t) {
               const times = still.length < FRAMES ? still : touched;
               if (last !== null) times.push(t - last);
               last = t;
               if (times === touched) {
                 list.children[touched.length % list.children.length].querySelector('.summary').textContent = 'changed ' + t;
               }
               plain.scrollTop = (plain.scrollTop + STEP) % (plain.scrollHeight - plain.clientHeight);
               if (touched.length < FRAMES) requestAnimationFrame(frame);
               else done({ still: median(still), touched: median(touched) });
             }
             requestAnimationFrame(frame);",
            vec![
                serde_json::json!(std::env::var("FRAMES").ok().and_then(|f| f.parse::<u32>().ok()).unwrap_or(120)),
                serde_json::json!(std::env::var("STEP").ok().and_then(|f| f.parse::<u32>().ok()).unwrap_or(100)),
            ],
        )
        .await?;
    app.close().await?;
    let mut frames = frames;
    frames["plain"] = plain["still"].clone();
    frames["touched"] = plain["touched"].clone();
    Ok((first, frames))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app_binary = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/release/herald-window".into()));
    let dir = tempfile::tempdir()?;
    println!(
        "| stored events | first rows painted (ms) | frame at rest, median (ms) | frame median (ms) | frame p95 (ms) \
         | frame max (ms) | the same rows as a plain list, median (ms) | the plain list, a line changed a frame, median (ms) \
         | scroll handlers, median (ms) | moving the scroller, median (ms) | scrolled (px) | rows in the page |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for events in [100, 100_000] {
        let store = store_with(dir.path(), events)?;
        let (first, frames) = measure(&app_binary, &store, &dir.path().join(format!("webview-{events}"))).await?;
        let get = |k: &str| frames[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "| {events} | {first:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} |",
            get("idle"),
            get("median"),
            get("p95"),
            get("max"),
            get("plain"),
            get("touched"),
            get("handlers"),
            get("move"),
            get("top"),
            get("rows")
        );
    }
    Ok(())
}
