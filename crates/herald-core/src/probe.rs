//! Trying a feed before following it: the window's "Test connection" and
//! its auto-detect.
//!
//! A probe makes one request exactly as the engine would (the same client,
//! trust, headers and secret, from [`Feed::setup`]) and reads the stream
//! for a short while with Herald's own decoder. It reports what a person
//! setting a feed up needs: the status and Content-Type, the first events,
//! whether they carry ids, which kind of server it looks like, and, when
//! the certificate is refused, its fingerprint, so the user can decide to
//! trust exactly that certificate.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::feed::{Feed, Preset, SetupFailure};
use crate::proxy::DesktopProxies;
use crate::secrets::Secrets;
use crate::sse::{error_chain, Decoder, Frame, DEFAULT_MAX_EVENT_BYTES};
use crate::tls::{refused_by_server, refused_certificate, refused_in_handshake, Refused};

/// How much of an event's data a report shows.
const SHOWN_BYTES: usize = 2000;

/// What a probe found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProbeReport {
    pub status: Option<u16>,
    pub content_type: Option<String>,
    /// The first events, as they came.
    pub events: Vec<ProbedEvent>,
    /// Any of them carried an `id:`.
    pub ids: bool,
    /// The kind of server it looks like, when the stream says.
    pub looks_like: Option<Preset>,
    /// Why it cannot be followed as it is, exactly.
    pub problem: Option<String>,
    /// The refused certificate's SHA-256, when that is the problem.
    pub certificate: Option<String>,
    /// Whether the server took the feed's client certificate, or refused
    /// it (or asked for one the feed lacks): `problem` says why. None when
    /// neither applies.
    pub identity_accepted: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProbedEvent {
    pub event: String,
    pub id: String,
    pub data: String,
}

/// Probes `feed` for at most `budget`, or until `max_events` arrived. The
/// refused certificate, if any, comes back whole beside the report, for
/// the caller to keep until the user decides (the report names only its
/// fingerprint).
pub async fn probe(
    feed: &Feed,
    secrets: Arc<dyn Secrets>,
    desktop: &dyn DesktopProxies,
    budget: Duration,
    max_events: usize,
) -> (ProbeReport, Option<Refused>) {
    let mut report = ProbeReport::default();
    let presents = feed.settings.client_identity.is_some();
    let setup = match feed.setup(None, None, secrets, desktop, HeaderMap::new()).await {
        Ok(setup) => setup,
        Err(e) => {
            report.identity_accepted = (e.kind == SetupFailure::Identity).then_some(false);
            report.problem = Some(e.reason);
            return (report, None);
        }
    };
    let request =
        setup.client.get(&setup.config.url).headers(setup.config.headers.clone()).header(ACCEPT, "text/event-stream");
    let deadline = tokio::time::Instant::now() + budget;
    let response = match tokio::time::timeout_at(deadline, request.send()).await {
        Err(_) => {
            report.problem = Some(format!("no answer within {} s", budget.as_secs()));
            return (report, None);
        }
        Ok(Err(e)) => {
            if let Some(why) = refused_in_handshake(&e) {
                report.identity_accepted = Some(false);
                report.problem = Some(why);
                return (report, None);
            }
            let refused = refused_certificate(&e);
            report.problem = Some(refused.as_ref().map(|r| r.message.clone()).unwrap_or_else(|| error_chain(&e)));
            report.certificate = refused.as_ref().map(|r| r.fingerprint.clone());
            return (report, refused);
        }
        Ok(Ok(response)) => response,
    };
    report.status = Some(response.status().as_u16());
    report.content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let is_stream = report.content_type.as_deref().is_some_and(|t| {
        t.split(';').next().is_some_and(|media| media.trim().eq_ignore_ascii_case("text/event-stream"))
    });
    if response.status() == reqwest::StatusCode::BAD_REQUEST {
        let body = tokio::time::timeout_at(deadline, response.bytes()).await;
        if let Some(why) = body.ok().and_then(Result::ok).and_then(|body| refused_by_server(&body)) {
            report.identity_accepted = Some(false);
            report.problem = Some(why);
            return (report, None);
        }
        report.problem = Some("the server answered 400 Bad Request".into());
        return (report, None);
    }
    if !response.status().is_success() {
        report.problem = Some(format!("the server answered {}", response.status()));
        return (report, None);
    }
    report.identity_accepted = presents.then_some(true);
    if !is_stream {
        let sent = report.content_type.as_deref().unwrap_or("no Content-Type");
        report.problem = Some(format!("the server sent {sent}, not an event stream (text/event-stream)"));
        return (report, None);
    }
    let mut decoder = Decoder::new(DEFAULT_MAX_EVENT_BYTES);
    let mut body = response.bytes_stream();
    while report.events.len() < max_events {
        let chunk = match tokio::time::timeout_at(deadline, body.next()).await {
            Err(_) | Ok(None) => break,
            Ok(Some(Err(e))) => {
                report.problem = Some(error_chain(&e));
                break;
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        decoder.feed(&chunk, &mut |frame| {
            if let Frame::Event(event) = frame {
                report.ids |= !event.last_event_id.is_empty();
                let mut data = event.data.to_string();
                if data.len() > SHOWN_BYTES {
                    let mut cut = SHOWN_BYTES;
                    while !data.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    data.truncate(cut);
                    data.push('…');
                }
                report.events.push(ProbedEvent {
                    event: event.event.to_string(),
                    id: event.last_event_id.to_string(),
                    data,
                });
            }
        });
    }
    report.events.truncate(max_events);
    // With no events to go by, only a URL can say which server it is.
    let guess = looks_like(&feed.url, &report);
    report.looks_like = (guess != Preset::Generic || !report.events.is_empty()).then_some(guess);
    (report, None)
}

/// Which kind of server a stream's URL and first events suggest.
pub fn looks_like(url: &str, report: &ProbeReport) -> Preset {
    let json = |data: &str| serde_json::from_str::<serde_json::Value>(data).ok();
    if url.contains("/.well-known/mercure") {
        return Preset::Mercure;
    }
    let ntfy = report.events.iter().any(|e| {
        (e.event == "open" || e.event == "message") && json(&e.data).is_some_and(|v| v.get("topic").is_some())
    });
    if ntfy {
        return Preset::Ntfy;
    }
    let nchan_id = |id: &str| {
        id.split_once(':').is_some_and(|(a, b)| !a.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_digit()))
    };
    if report.events.iter().any(|e| nchan_id(&e.id)) {
        return Preset::Nchan;
    }
    let changes = report.events.iter().any(|e| {
        matches!(e.event.as_str(), "create" | "update" | "delete")
            && json(&e.data).is_some_and(|v| v.is_object() || v.is_string() || v.is_number())
    });
    match (changes, report.ids) {
        (true, true) => Preset::HeraldHub,
        (true, false) => Preset::TaskList,
        _ => Preset::Generic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(events: &[(&str, &str, &str)]) -> ProbeReport {
        let events: Vec<ProbedEvent> = events
            .iter()
            .map(|(event, id, data)| ProbedEvent { event: (*event).into(), id: (*id).into(), data: (*data).into() })
            .collect();
        ProbeReport { ids: events.iter().any(|e| !e.id.is_empty()), events, ..ProbeReport::default() }
    }

    #[test]
    fn the_first_events_say_which_kind_of_server_it_is() {
        let url = "http://127.0.0.1/x";
        assert_eq!(looks_like(url, &report(&[("open", "", r#"{"id":"a","topic":"alerts"}"#)])), Preset::Ntfy);
        assert_eq!(looks_like(url, &report(&[("message", "1700000000:0", "hi")])), Preset::Nchan);
        assert_eq!(looks_like(url, &report(&[("create", "", r#"{"id":1,"name":"a"}"#)])), Preset::TaskList);
        assert_eq!(looks_like(url, &report(&[("delete", "7", r#"{"id":1}"#)])), Preset::HeraldHub);
        assert_eq!(looks_like("https://h/.well-known/mercure?topic=x", &report(&[])), Preset::Mercure);
        assert_eq!(looks_like(url, &report(&[("message", "", "plain")])), Preset::Generic);
    }
}
