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

/// The alert for a change, or `None` when the user made it.
pub fn alert_for(notice: &ChangeNotice, source: &str) -> Option<Alert> {
    if notice.own {
        return None;
    }
    Some(Alert { summary: notice.summary.clone(), body: escape_markup(source), task_id: notice.task_id })
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
        }
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
