//! A local replica of the shared task list, kept current by applying events.
//!
//! Applying is idempotent: an event that changes nothing (a replay of one
//! already applied) yields no notice, so a resumed stream never produces
//! duplicate notifications.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::model::{summarize, Action, ChangeNotice, Task, TaskView};
use crate::sse::{now_ms, EpochMs, Event};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApplyError {
    #[error("the {event} event's data is not a task: {reason}")]
    Malformed { event: String, reason: String },
}

/// The `data` of a task event: the task (only `id` for a delete), plus who and when.
#[derive(Debug, Deserialize)]
struct EventData {
    id: i64,
    name: Option<String>,
    done: Option<bool>,
    actor: Option<String>,
    at: Option<EpochMs>,
}

#[derive(Debug, Default)]
pub struct Replica {
    tasks: BTreeMap<i64, TaskView>,
}

impl Replica {
    /// Replaces the contents with a snapshot, keeping the last change of tasks that remain.
    pub fn load(&mut self, tasks: Vec<Task>) {
        let mut old = std::mem::take(&mut self.tasks);
        for task in tasks {
            let last_change = old.remove(&task.id).and_then(|v| v.last_change);
            self.tasks.insert(task.id, TaskView { id: task.id, name: task.name, done: task.done, last_change });
        }
    }

    /// Replaces the contents with a fresh snapshot after the stream lost
    /// continuity, and returns each difference once, as a missed change.
    pub fn resync(&mut self, tasks: Vec<Task>, now: EpochMs) -> Vec<ChangeNotice> {
        let missed = |task: &Task, action: Action, previous: Option<&str>| ChangeNotice {
            event_id: String::new(),
            task_id: task.id,
            task_name: task.name.clone(),
            action,
            previous_name: previous.map(str::to_owned),
            actor: None,
            own: false,
            at: now,
            summary: summarize(None, false, action, &task.name, previous),
            missed: true,
        };
        let mut old = std::mem::take(&mut self.tasks);
        let mut notices = Vec::new();
        for task in tasks {
            let before = old.remove(&task.id);
            let action = match &before {
                None => Some(Action::Created),
                Some(b) if b.name == task.name && b.done == task.done => None,
                Some(b) if b.done == task.done => Some(Action::Renamed),
                Some(b) if b.name == task.name && task.done => Some(Action::Completed),
                Some(b) if b.name == task.name => Some(Action::Reopened),
                Some(_) => Some(Action::Updated),
            };
            let notice = action.map(|action| {
                let previous = before.as_ref().filter(|_| action == Action::Renamed).map(|b| b.name.as_str());
                missed(&task, action, previous)
            });
            let last_change = notice.clone().or(before.and_then(|b| b.last_change));
            notices.extend(notice);
            self.tasks.insert(task.id, TaskView { id: task.id, name: task.name, done: task.done, last_change });
        }
        for gone in old.into_values() {
            let task = Task { id: gone.id, name: gone.name, done: gone.done };
            notices.push(missed(&task, Action::Deleted, None));
        }
        notices
    }

    pub fn tasks(&self) -> Vec<TaskView> {
        self.tasks.values().cloned().collect()
    }

    pub fn get(&self, id: i64) -> Option<&TaskView> {
        self.tasks.get(&id)
    }

    /// Applies a `create`, `update` or `delete` event; `me` is this user's actor name.
    /// Other event types are not about tasks and change nothing.
    pub fn apply(&mut self, event: &Event, me: Option<&str>) -> Result<Option<ChangeNotice>, ApplyError> {
        let deleting = match &*event.event {
            "create" | "update" => false,
            "delete" => true,
            _ => return Ok(None),
        };
        let malformed = |reason: String| ApplyError::Malformed { event: event.event.to_string(), reason };
        let data: EventData = serde_json::from_str(&event.data).map_err(|e| malformed(e.to_string()))?;
        let before = self.tasks.get(&data.id);
        let (action, name, previous_name) = if deleting {
            let Some(before) = before else { return Ok(None) };
            (Action::Deleted, before.name.clone(), None)
        } else {
            let name = match (data.name, before) {
                (Some(name), _) => name,
                (None, Some(before)) => before.name.clone(),
                (None, None) => return Err(malformed("a new task needs a name".into())),
            };
            let done = data.done.or(before.map(|b| b.done)).unwrap_or(false);
            let action = match before {
                None => Action::Created,
                Some(b) if b.name == name && b.done == done => return Ok(None),
                Some(b) if b.name != name && b.done == done => Action::Renamed,
                Some(b) if b.name == name && done => Action::Completed,
                Some(b) if b.name == name => Action::Reopened,
                Some(_) => Action::Updated,
            };
            let previous = before.filter(|_| action == Action::Renamed).map(|b| b.name.clone());
            (action, name, previous)
        };
        let own = matches!((me, &data.actor), (Some(me), Some(actor)) if me == actor);
        let notice = ChangeNotice {
            event_id: event.last_event_id.to_string(),
            task_id: data.id,
            summary: summarize(data.actor.as_deref(), own, action, &name, previous_name.as_deref()),
            task_name: name,
            action,
            previous_name,
            actor: data.actor,
            own,
            at: data.at.unwrap_or_else(now_ms),
            missed: false,
        };
        if deleting {
            self.tasks.remove(&data.id);
        } else {
            let done = data.done.or(before.map(|b| b.done)).unwrap_or(false);
            let view =
                TaskView { id: data.id, name: notice.task_name.clone(), done, last_change: Some(notice.clone()) };
            self.tasks.insert(data.id, view);
        }
        Ok(Some(notice))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, data: &str, id: &str) -> Event {
        Event { event: kind.into(), data: data.into(), last_event_id: id.into() }
    }

    fn replica() -> Replica {
        let mut r = Replica::default();
        r.load(vec![Task { id: 1, name: "Buy milk".into(), done: false }]);
        r
    }

    #[test]
    fn a_resync_reports_each_difference_once_as_missed() {
        let task = |id, name: &str, done| Task { id, name: name.into(), done };
        let mut r = Replica::default();
        r.load(vec![
            task(1, "Buy milk", false),
            task(2, "Call Bo", false),
            task(3, "Water", false),
            task(5, "Same", false),
        ]);
        let snapshot =
            vec![task(1, "Buy milk", true), task(2, "Call Bob", false), task(4, "New", false), task(5, "Same", false)];
        let missed = r.resync(snapshot.clone(), 7);
        let seen: Vec<_> = missed.iter().map(|n| (n.task_id, n.action, n.missed, n.at)).collect();
        assert_eq!(
            seen,
            [
                (1, Action::Completed, true, 7),
                (2, Action::Renamed, true, 7),
                (4, Action::Created, true, 7),
                (3, Action::Deleted, true, 7)
            ]
        );
        assert_eq!(missed[1].previous_name.as_deref(), Some("Call Bo"));
        assert!(r.resync(snapshot, 8).is_empty(), "nothing is reported twice");
        assert_eq!(r.tasks().len(), 4);
    }

    #[test]
    fn each_kind_of_change_is_named_and_attributed() {
        let mut r = replica();
        let me = Some("You");
        let cases = [
            (
                event("update", r#"{"id":1,"name":"Buy milk","done":true,"actor":"Ana","at":5}"#, "2"),
                Action::Completed,
                "Ana completed 'Buy milk'",
            ),
            (
                event("update", r#"{"id":1,"name":"Buy oat milk","done":true,"actor":"Ana"}"#, "3"),
                Action::Renamed,
                "Ana renamed 'Buy milk' to 'Buy oat milk'",
            ),
            (
                event("update", r#"{"id":1,"done":false,"actor":"You"}"#, "4"),
                Action::Reopened,
                "You reopened 'Buy oat milk'",
            ),
            (
                event("create", r#"{"id":2,"name":"Call Bo","done":false,"actor":"Bo"}"#, "5"),
                Action::Created,
                "Bo added 'Call Bo'",
            ),
            (event("delete", r#"{"id":2,"actor":"Bo"}"#, "6"), Action::Deleted, "Bo deleted 'Call Bo'"),
        ];
        for (ev, action, summary) in cases {
            let n = r.apply(&ev, me).unwrap().expect("a notice");
            assert_eq!((n.action, n.summary.as_str(), n.event_id.as_str()), (action, summary, &*ev.last_event_id));
            assert_eq!(n.own, summary.starts_with("You"));
        }
        let tasks = r.tasks();
        assert_eq!(tasks.len(), 1);
        assert_eq!((tasks[0].name.as_str(), tasks[0].done), ("Buy oat milk", false));
        assert_eq!(tasks[0].last_change.as_ref().unwrap().action, Action::Reopened);
    }

    #[test]
    fn a_replayed_event_changes_nothing_and_says_nothing() {
        let mut r = replica();
        let ev = event("update", r#"{"id":1,"name":"Buy milk","done":true,"actor":"Ana"}"#, "2");
        assert!(r.apply(&ev, None).unwrap().is_some());
        assert_eq!(r.apply(&ev, None).unwrap(), None);
        let gone = event("delete", r#"{"id":1,"actor":"Ana"}"#, "3");
        assert!(r.apply(&gone, None).unwrap().is_some());
        assert_eq!(r.apply(&gone, None).unwrap(), None);
    }

    #[test]
    fn bad_payloads_are_errors_and_other_events_are_ignored() {
        let mut r = replica();
        assert!(r.apply(&event("update", "not json", "2"), None).is_err());
        assert!(r.apply(&event("create", r#"{"id":"x"}"#, "2"), None).is_err());
        assert!(r.apply(&event("create", r#"{"id":5}"#, "2"), None).is_err());
        assert_eq!(r.apply(&event("message", "hello", "2"), None).unwrap(), None);
        assert_eq!(r.tasks().len(), 1, "nothing changed");
    }

    #[test]
    fn reloading_keeps_the_highlight_of_surviving_tasks() {
        let mut r = replica();
        r.apply(&event("update", r#"{"id":1,"done":true,"actor":"Ana"}"#, "2"), None).unwrap();
        r.load(vec![
            Task { id: 1, name: "Buy milk".into(), done: true },
            Task { id: 9, name: "New".into(), done: false },
        ]);
        assert!(r.get(1).unwrap().last_change.is_some());
        assert!(r.get(9).unwrap().last_change.is_none());
    }
}
