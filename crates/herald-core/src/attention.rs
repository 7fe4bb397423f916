//! What deserves the user's attention, and how a notification reads.
//!
//! The desktop shell shows alerts through whatever the OS offers; the
//! decisions (never for the user's own edits, payload text escaped) live
//! here so they are tested without a desktop.

use crate::tasks::ChangeNotice;

/// A notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Plain text: "Ana completed 'Buy milk'".
    pub summary: String,
    /// Escaped for servers that read the body as markup.
    pub body: String,
    /// The task to show when the alert is clicked.
    pub task_id: i64,
}

/// Shows alerts: the OS notification service in the app, a recorder in tests.
pub trait Notifier: Send + Sync + 'static {
    fn show(&self, alert: Alert) -> Result<(), NotifyError>;
}

#[derive(Debug, thiserror::Error)]
#[error("could not show a notification: {0}")]
pub struct NotifyError(pub String);

/// Which task each shown notification is about, so that a click (which
/// arrives as a bare notification id) can open the right one.
///
/// A click may be reported before the request that showed the notification
/// has returned its id; such early clicks are kept briefly and honoured when
/// the id is registered. Both lists are bounded, since a notification server
/// need not report every notification's end.
#[derive(Debug, Default)]
pub struct ClickRouter {
    shown: std::collections::VecDeque<(u32, i64)>,
    early: std::collections::VecDeque<u32>,
}

/// How many notifications and early clicks the router remembers.
const ROUTER_MEMORY: usize = 256;

impl ClickRouter {
    /// Registers notification `id` for `task_id`; returns the task to open at
    /// once if the click came first.
    pub fn shown(&mut self, id: u32, task_id: i64) -> Option<i64> {
        if let Some(pos) = self.early.iter().position(|&e| e == id) {
            self.early.remove(pos);
            return Some(task_id);
        }
        if self.shown.len() == ROUTER_MEMORY {
            self.shown.pop_front();
        }
        self.shown.push_back((id, task_id));
        None
    }

    /// The task to open for a click on notification `id`, if known yet.
    pub fn clicked(&mut self, id: u32) -> Option<i64> {
        if let Some(pos) = self.shown.iter().position(|&(shown, _)| shown == id) {
            return self.shown.remove(pos).map(|(_, task)| task);
        }
        if self.early.len() == ROUTER_MEMORY {
            self.early.pop_front();
        }
        self.early.push_back(id);
        None
    }

    /// Forgets a notification the server closed.
    pub fn closed(&mut self, id: u32) {
        self.shown.retain(|&(shown, _)| shown != id);
    }
}

/// The alert for a change, or `None` when the user made it.
pub fn alert_for(notice: &ChangeNotice, source: &str) -> Option<Alert> {
    // Missed changes are told together, in one digest (see `digest_alert`).
    if notice.own || notice.missed {
        return None;
    }
    Some(Alert { summary: notice.summary.clone(), body: escape_markup(source), task_id: notice.task_id })
}

/// Changes listed by name in a digest; the rest are counted.
const DIGEST_LINES: usize = 5;

/// One notification for everything missed while the stream could not
/// replay: "You missed 7 changes", then the first few, escaped.
pub fn digest_alert(missed: &[ChangeNotice], source: &str) -> Option<Alert> {
    let first = missed.first()?;
    let summary = match missed.len() {
        1 => format!("You missed: {}", first.summary),
        n => format!("You missed {n} changes"),
    };
    let mut lines: Vec<String> = missed.iter().take(DIGEST_LINES).map(|n| escape_markup(&n.summary)).collect();
    if missed.len() > DIGEST_LINES {
        lines.push(format!("and {} more", missed.len() - DIGEST_LINES));
    }
    lines.push(escape_markup(source));
    Some(Alert { summary, body: lines.join("\n"), task_id: first.task_id })
}

/// Escapes text for the notification body, which the freedesktop spec lets
/// servers read as a subset of HTML: payload text must never become markup.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::Action;

    #[test]
    fn missed_changes_make_one_digest_not_a_flood() {
        let mut missed: Vec<ChangeNotice> = (0..7)
            .map(|i| ChangeNotice {
                missed: true,
                task_id: i,
                summary: format!("Someone added '<t{i}>'"),
                ..notice(false)
            })
            .collect();
        assert_eq!(alert_for(&missed[0], "hub"), None, "not one by one");
        let digest = digest_alert(&missed, "hub").unwrap();
        assert_eq!((digest.summary.as_str(), digest.task_id), ("You missed 7 changes", 0));
        assert_eq!(digest.body.lines().count(), 7, "five listed, the rest counted, then the source");
        assert!(digest.body.contains("&lt;t0&gt;") && digest.body.contains("and 2 more"), "{}", digest.body);
        missed.truncate(1);
        assert_eq!(digest_alert(&missed, "hub").unwrap().summary, "You missed: Someone added '<t0>'");
        assert_eq!(digest_alert(&[], "hub"), None);
    }

    fn notice(own: bool) -> ChangeNotice {
        ChangeNotice {
            event_id: "4".into(),
            task_id: 4,
            task_name: "Buy milk".into(),
            action: Action::Completed,
            previous_name: None,
            actor: Some("Ana".into()),
            own,
            at: 0,
            summary: "Ana completed 'Buy milk'".into(),
            missed: false,
        }
    }

    #[test]
    fn clicks_open_the_task_whichever_arrives_first() {
        let mut router = ClickRouter::default();
        assert_eq!(router.shown(1, 10), None);
        assert_eq!(router.clicked(1), Some(10));
        assert_eq!(router.clicked(1), None, "one click, one open");
        assert_eq!(router.shown(1, 10), Some(10), "the click above came before this id was shown again");
        assert_eq!(router.clicked(2), None);
        assert_eq!(router.shown(2, 20), Some(20), "an early click is honoured on registration");
        router.shown(3, 30);
        router.closed(3);
        assert_eq!(router.clicked(3), None);
    }

    #[test]
    fn the_router_forgets_the_oldest_beyond_its_memory() {
        let mut router = ClickRouter::default();
        for id in 0..300 {
            router.shown(id, i64::from(id));
        }
        assert_eq!(router.clicked(0), None);
        assert_eq!(router.clicked(299), Some(299));
        assert!(router.shown.len() <= ROUTER_MEMORY && router.early.len() <= ROUTER_MEMORY);
    }

    #[test]
    fn own_changes_raise_no_alert() {
        assert_eq!(alert_for(&notice(true), "demo"), None);
        let alert = alert_for(&notice(false), "Tasks <b>at</b> work & home").unwrap();
        assert_eq!(alert.summary, "Ana completed 'Buy milk'");
        assert_eq!(alert.body, "Tasks &lt;b&gt;at&lt;/b&gt; work &amp; home");
        assert_eq!(alert.task_id, 4);
    }
}
