//! The timeline: every stored event with what it meant, newest first, and
//! its search.
//!
//! Why the meaning is stored, not worked out again when read: the search
//! runs over the title and the sentence people read ("Ana completed 'Buy
//! milk'"), which only the engine could make, with the feed's records as
//! they were at the time. So each event keeps its change beside it (see
//! [`super::described`]), and this module only reads: a page of events,
//! filtered, or the matches of an FTS5 search, marked.

use rusqlite::types::Value as Sql;
use rusqlite::{params_from_iter, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::described::MEANINGLESS;
use super::{Store, StoreError};
use crate::feed::{Action, ActionResult, Change, Level};
use crate::sse::EpochMs;

/// Where a search match starts in [`TimelineEntry::marked`] and
/// [`TimelineEntry::snippet`]: private-use characters, so that the window
/// can show matches without ever reading payload text as markup.
pub const MARK_START: char = '\u{E000}';
/// Where a search match ends.
pub const MARK_END: char = '\u{E001}';

/// Which events the timeline shows: all filters are optional and combine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export, optional_fields)]
pub struct TimelineQuery {
    /// One feed, by name; all when absent.
    pub feed: Option<String>,
    /// Words that must all appear (each as a word prefix) in the title, the
    /// sentence or the data. No search syntax: quotes and operators are text.
    pub text: Option<String>,
    /// Only changes by this actor.
    pub actor: Option<String>,
    /// Only changes of this kind.
    pub action: Option<Action>,
    /// Only changes found by a resync.
    #[ts(as = "Option<_>", optional)]
    pub missed: bool,
    /// Only unread events.
    #[ts(as = "Option<_>", optional)]
    pub unread: bool,
    /// Only events received at or after this time: what a digest told of.
    #[ts(type = "number", optional)]
    pub since: Option<EpochMs>,
    /// How many of the newest matches to skip.
    #[ts(as = "Option<_>", optional)]
    pub offset: u32,
    /// How many to return (at most 1,000; 100 when 0).
    #[ts(as = "Option<_>", optional)]
    pub limit: u32,
}

/// One event of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TimelineEntry {
    /// The event's row in the store: what marking it read names.
    #[ts(type = "number")]
    pub id: i64,
    pub read: bool,
    /// The sender withdrew it (ntfy's `message_delete`).
    pub withdrawn: bool,
    pub change: Change,
    /// What came of its buttons, oldest first.
    pub results: Vec<ActionResult>,
    /// The sentence with search matches between [`MARK_START`] and [`MARK_END`].
    pub marked: Option<String>,
    /// A stretch of the data around the matches, marked the same way, when
    /// the data matched.
    pub snippet: Option<String>,
}

/// A page of the timeline and how many events match in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TimelinePage {
    /// Counted for the first page only (offset 0): counting every match
    /// again for each page would cost a pass over all of them.
    #[ts(type = "number | null")]
    pub total: Option<u64>,
    pub entries: Vec<TimelineEntry>,
}

const MAX_LIMIT: u32 = 1000;
const DEFAULT_LIMIT: u32 = 100;

/// The user's words as an FTS5 query: each word a quoted prefix, all
/// required. Nothing the user types is read as FTS5 syntax.
fn match_expression(text: &str) -> Option<String> {
    let words: Vec<String> =
        text.split_whitespace().map(|word| format!("\"{}\"*", word.replace('"', "\"\""))).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The change an event means, from its stored meaning; an event stored
/// before meanings were (or by a feed that found none) shows its data.
fn change_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Change> {
    let stored: Option<String> = row.get("change")?;
    if let Some(change) = stored.and_then(|json| serde_json::from_str(&json).ok()) {
        return Ok(change);
    }
    let data: String = row.get("data")?;
    let event_id: Option<String> = row.get("event_id")?;
    let missed: bool = row.get("missed")?;
    let title: String = data.chars().take(200).collect();
    Ok(Change {
        feed: row.get("feed")?,
        event_id: event_id.unwrap_or_default(),
        action: Action::Message,
        verb: None,
        key: None,
        summary: title.clone(),
        title,
        previous_title: None,
        body: Some(data),
        actor: None,
        own: false,
        at: row.get("received_at")?,
        missed,
        priority: None,
        click: None,
        tags: Vec::new(),
        record: None,
        level: Level::Notify,
        extras: Default::default(),
    })
}

/// An entry, from a row of the timeline's query.
fn entry_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<TimelineEntry> {
    let snippet: Option<String> = row.get("snippet")?;
    Ok(TimelineEntry {
        id: row.get("id")?,
        read: row.get("read")?,
        withdrawn: row.get("withdrawn")?,
        change: change_of(row)?,
        results: Vec::new(),
        marked: row.get("marked")?,
        // Only a snippet that holds a match says anything.
        snippet: snippet.filter(|s| s.contains(MARK_START)),
    })
}

/// What the timeline reads of each entry.
const ENTRY_COLUMNS: &str = "events.id, events.read, events.withdrawn, events.missed, events.event_id, events.data,
    events.received_at, events.change, feeds.name AS feed";

impl Store {
    /// One entry of the timeline, by its row, with its buttons' results.
    pub fn timeline_entry(&self, row: i64) -> Result<Option<TimelineEntry>, StoreError> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS}, NULL AS marked, NULL AS snippet
             FROM events JOIN feeds ON feeds.id = events.feed_id WHERE events.id = ?1 AND events.action IS NOT ?2"
        );
        let found =
            self.conn.prepare_cached(&sql)?.query_row(rusqlite::params![row, MEANINGLESS], entry_of).optional()?;
        let mut entries: Vec<TimelineEntry> = found.into_iter().collect();
        self.with_results(&mut entries)?;
        Ok(entries.pop())
    }

    /// A page of the timeline, newest first, with the number of matches.
    pub fn timeline(&self, query: &TimelineQuery) -> Result<TimelinePage, StoreError> {
        let search = query.text.as_deref().and_then(match_expression);
        let mut from = String::from("events JOIN feeds ON feeds.id = events.feed_id");
        let mut conditions: Vec<&str> = vec!["events.action IS NOT ?"];
        let mut values: Vec<Sql> = vec![Sql::Text(MEANINGLESS.to_owned())];
        if let Some(expression) = &search {
            from =
                "events_search JOIN events ON events.id = events_search.rowid JOIN feeds ON feeds.id = events.feed_id"
                    .to_owned();
            conditions.push("events_search MATCH ?");
            values.push(Sql::Text(expression.clone()));
        }
        if let Some(feed) = &query.feed {
            let id = self.feed_id(feed)?;
            conditions.push("events.feed_id = ?");
            values.push(Sql::Integer(id.0));
        }
        if let Some(actor) = &query.actor {
            conditions.push("events.actor = ?");
            values.push(Sql::Text(actor.clone()));
        }
        if let Some(action) = query.action {
            conditions.push("events.action = ?");
            values.push(Sql::Text(action.as_str().to_owned()));
        }
        if query.missed {
            conditions.push("events.missed = 1");
        }
        if query.unread {
            conditions.push("events.read = 0");
        }
        if let Some(since) = query.since {
            conditions.push("events.received_at >= ?");
            values.push(Sql::Integer(since));
        }
        let filter = format!("WHERE {}", conditions.join(" AND "));

        let total = if query.offset == 0 {
            // A search with nothing else to filter is counted in the index
            // alone, which holds no meaningless event.
            let (sql, count_values) = match &search {
                Some(expression) if conditions.len() == 2 => (
                    "SELECT count(*) FROM events_search WHERE events_search MATCH ?".to_owned(),
                    vec![Sql::Text(expression.clone())],
                ),
                _ => (format!("SELECT count(*) FROM {from} {filter}"), values.clone()),
            };
            let count: i64 =
                self.conn.prepare_cached(&sql)?.query_row(params_from_iter(&count_values), |r| r.get(0))?;
            Some(count.unsigned_abs())
        } else {
            None
        };
        // A search walks the index newest first and stops at the page's end.
        let order = if search.is_some() { "events_search.rowid" } else { "events.id" };

        let marks = if search.is_some() {
            format!(
                "highlight(events_search, 1, '{MARK_START}', '{MARK_END}') AS marked, \
                 snippet(events_search, 2, '{MARK_START}', '{MARK_END}', '…', 16) AS snippet"
            )
        } else {
            "NULL AS marked, NULL AS snippet".to_owned()
        };
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let sql = format!(
            "SELECT {ENTRY_COLUMNS}, {marks}
             FROM {from} {filter} ORDER BY {order} DESC LIMIT {limit} OFFSET {}",
            query.offset
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(params_from_iter(&values), entry_of)?;
        let mut entries = rows.collect::<Result<Vec<_>, _>>()?;
        self.with_results(&mut entries)?;
        Ok(TimelinePage { total, entries })
    }

    /// Marks the events in `rows` read; returns how many changed.
    pub fn mark_rows_read(&self, rows: &[i64]) -> Result<usize, StoreError> {
        let mut statement = self.conn.prepare_cached("UPDATE events SET read = 1 WHERE id = ?1 AND read = 0")?;
        let mut changed = 0;
        for row in rows {
            changed += statement.execute([row])?;
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::Event;

    fn change(feed: &str, title: &str, actor: &str, action: Action) -> Change {
        Change {
            feed: feed.into(),
            event_id: String::new(),
            action,
            verb: None,
            key: Some(title.into()),
            title: title.into(),
            previous_title: None,
            body: None,
            actor: Some(actor.into()),
            own: false,
            at: 1,
            missed: false,
            priority: None,
            click: None,
            tags: Vec::new(),
            record: Some(serde_json::json!({"big": "record"})),
            summary: format!("{actor} added '{title}'"),
            level: Level::Notify,
            extras: Default::default(),
        }
    }

    fn store_with(events: &[(&str, &str, &str, &str, Action)]) -> Store {
        let mut store = Store::in_memory().unwrap();
        for (feed, title, actor, data, action) in events {
            let id = store.feed_for(feed, "http://127.0.0.1/").unwrap();
            let event = Event { event: "create".into(), data: (*data).into(), last_event_id: "".into() };
            let meaning = change(feed, title, actor, *action);
            store.ingest_with(id, &[event], 5, |_, _, _| Ok(Some(meaning.clone()))).unwrap();
        }
        store
    }

    fn titles(page: &TimelinePage) -> Vec<&str> {
        page.entries.iter().map(|e| e.change.title.as_str()).collect()
    }

    #[test]
    fn since_keeps_what_came_at_or_after_it() {
        let mut store = store_with(&[("tasks", "early", "ana", "{}", Action::Created)]);
        let id = store.feed_id("tasks").unwrap();
        let event = Event { event: "create".into(), data: "{}".into(), last_event_id: "".into() };
        let late = change("tasks", "late", "ana", Action::Created);
        store.ingest_with(id, &[event], 50, |_, _, _| Ok(Some(late.clone()))).unwrap();
        let page = store.timeline(&TimelineQuery { since: Some(50), ..Default::default() }).unwrap();
        assert_eq!((page.total, titles(&page)), (Some(1), vec!["late"]));
        let searched = TimelineQuery { since: Some(6), text: Some("early".into()), ..Default::default() };
        assert_eq!(store.timeline(&searched).unwrap().total, Some(0), "a search keeps to it too");
    }

    #[test]
    fn a_search_counts_only_events_that_mean_something_and_survives_their_removal() {
        let mut store = store_with(&[("tasks", "zebra crossing", "ana", "zebra", Action::Created)]);
        let id = store.feed_id("tasks").unwrap();
        let nothing = Event { event: "ping".into(), data: "zebra ping".into(), last_event_id: "".into() };
        store.ingest_with(id, &[nothing], 6, |_, _, _| Ok(None)).unwrap();
        let search = TimelineQuery { text: Some("zebra".into()), ..Default::default() };
        let page = store.timeline(&search).unwrap();
        assert_eq!((page.total, titles(&page)), (Some(1), vec!["zebra crossing"]), "the ping means nothing");
        let newest_first =
            TimelineQuery { text: Some("zebra".into()), feed: Some("tasks".into()), ..Default::default() };
        assert_eq!(store.timeline(&newest_first).unwrap().total, Some(1), "counted through the events too");
        // Removing every event, the meaningless one too, leaves a sound index.
        store.remove_feed("tasks").unwrap();
        assert_eq!(store.timeline(&search).unwrap().total, Some(0));
        store.conn.execute("INSERT INTO events_search (events_search) VALUES ('integrity-check')", []).unwrap();
    }

    #[test]
    fn the_timeline_is_newest_first_and_keeps_each_meaning_without_its_record() {
        let store = store_with(&[
            ("tasks", "Buy milk", "ana", r#"{"id":1}"#, Action::Created),
            ("alerts", "Disk full", "ops", r#"{"host":"db1"}"#, Action::Message),
        ]);
        let page = store.timeline(&TimelineQuery::default()).unwrap();
        assert_eq!(page.total, Some(2));
        assert_eq!(titles(&page), ["Disk full", "Buy milk"]);
        assert_eq!(page.entries[1].change.summary, "ana added 'Buy milk'");
        assert_eq!(page.entries[1].change.record, None, "the replica keeps records, not the timeline");
        assert!(!page.entries[0].read);
        let one = store.timeline(&TimelineQuery { feed: Some("tasks".into()), ..Default::default() }).unwrap();
        assert_eq!(titles(&one), ["Buy milk"]);
        let tasks = store.feed_id("tasks").unwrap();
        let last = store.last_changes(tasks, &["Buy milk", "nothing"]).unwrap();
        assert_eq!(last[0].as_ref().map(|c| c.summary.as_str()), Some("ana added 'Buy milk'"));
        assert_eq!(last[1], None);
    }

    #[test]
    fn search_finds_words_in_the_title_sentence_or_data_and_marks_them() {
        let store = store_with(&[
            ("tasks", "Buy milk", "ana", r#"{"note":"from the farm shop"}"#, Action::Created),
            ("tasks", "Call Bob", "ben", r#"{"note":"about the invoice"}"#, Action::Created),
        ]);
        let search = |text: &str| store.timeline(&TimelineQuery { text: Some(text.into()), ..Default::default() });
        let by_data = search("farm").unwrap();
        assert_eq!(titles(&by_data), ["Buy milk"]);
        let snippet = by_data.entries[0].snippet.as_deref().unwrap();
        assert!(snippet.contains(&format!("{MARK_START}farm{MARK_END}")), "{snippet}");
        assert_eq!(by_data.entries[0].marked.as_deref(), Some("ana added 'Buy milk'"), "no match in the sentence");

        let by_sentence = search("BEN").unwrap();
        assert_eq!(titles(&by_sentence), ["Call Bob"]);
        assert_eq!(by_sentence.entries[0].marked.as_deref(), Some("\u{E000}ben\u{E001} added 'Call Bob'"));
        assert_eq!(by_sentence.entries[0].snippet, None);

        assert_eq!(search("invo").unwrap().total, Some(1), "a word matches as a prefix");
        assert_eq!(search("milk invoice").unwrap().total, Some(0), "every word is required");
        for hostile in ["\"", "milk OR", "NEAR(", "*", "a:b", "-x", "'; DROP TABLE events; --"] {
            assert!(search(hostile).is_ok(), "{hostile:?} is only text");
        }
        assert_eq!(search("   ").unwrap().total, Some(2), "blank text searches nothing");
    }

    #[test]
    fn filters_combine_and_reading_is_kept() {
        let store = store_with(&[
            ("tasks", "One", "ana", "{}", Action::Created),
            ("tasks", "Two", "ben", "{}", Action::Deleted),
            ("tasks", "Three", "ana", "{}", Action::Deleted),
        ]);
        let query = |q: TimelineQuery| titles(&store.timeline(&q).unwrap()).join(",");
        assert_eq!(query(TimelineQuery { actor: Some("ana".into()), ..Default::default() }), "Three,One");
        assert_eq!(
            query(TimelineQuery { actor: Some("ana".into()), action: Some(Action::Deleted), ..Default::default() }),
            "Three"
        );
        let page = store.timeline(&TimelineQuery::default()).unwrap();
        let newest = page.entries[0].id;
        assert_eq!(store.mark_rows_read(&[newest, newest]).unwrap(), 1);
        assert_eq!(query(TimelineQuery { unread: true, ..Default::default() }), "Two,One");
        assert_eq!(query(TimelineQuery { limit: 1, offset: 1, ..Default::default() }), "Two");
        let later = store.timeline(&TimelineQuery { offset: 1, ..Default::default() }).unwrap();
        assert_eq!(later.total, None, "only the first page counts");
        assert_eq!(query(TimelineQuery { missed: true, ..Default::default() }), "");
        assert!(matches!(
            store.timeline(&TimelineQuery { feed: Some("nope".into()), ..Default::default() }),
            Err(StoreError::NoSuchFeed(_))
        ));
    }

    #[test]
    fn an_event_without_a_meaning_shows_its_data_and_is_still_found() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("plain", "http://127.0.0.1/").unwrap();
        let event = Event { event: "message".into(), data: "kettle is boiling".into(), last_event_id: "7".into() };
        store.ingest(feed, &[event], 9).unwrap();
        let page = store.timeline(&TimelineQuery { text: Some("kettle".into()), ..Default::default() }).unwrap();
        assert_eq!(page.total, Some(1));
        let change = &page.entries[0].change;
        assert_eq!((change.title.as_str(), change.event_id.as_str(), change.at), ("kettle is boiling", "7", 9));
        let activity = store.activity(feed, 9).unwrap();
        assert_eq!((activity.since, activity.stored, activity.last_event_id.as_deref()), (1, 1, Some("7")));
        assert_eq!(store.activity(feed, 10).unwrap().since, 0);
    }

    #[test]
    fn an_event_that_means_nothing_is_kept_but_neither_shown_nor_unread() {
        let mut store = Store::in_memory().unwrap();
        let feed = store.feed_for("alerts", "http://127.0.0.1/").unwrap();
        let open = Event { event: "open".into(), data: r#"{"event":"open"}"#.into(), last_event_id: "".into() };
        store.ingest_with(feed, &[open], 1, |_, _, _| Ok(None)).unwrap();
        assert_eq!(store.event_count().unwrap(), 1);
        assert_eq!(store.timeline(&TimelineQuery::default()).unwrap().total, Some(0));
        assert_eq!(store.unread(feed).unwrap(), 0);
    }

    /// Events leave the index with the events: removing a feed, or pruning,
    /// keeps the search consistent (an external-content FTS5 index given a
    /// wrong delete would return rows that no longer exist).
    #[test]
    fn removed_events_leave_the_search() {
        let store = store_with(&[("gone", "Ephemeral", "ana", r#"{"w":"zebra"}"#, Action::Created)]);
        assert_eq!(
            store.timeline(&TimelineQuery { text: Some("zebra".into()), ..Default::default() }).unwrap().total,
            Some(1)
        );
        store.remove_feed("gone").unwrap();
        assert_eq!(
            store.timeline(&TimelineQuery { text: Some("zebra".into()), ..Default::default() }).unwrap().total,
            Some(0)
        );
        store.conn.execute("INSERT INTO events_search (events_search) VALUES ('integrity-check')", []).unwrap();
    }
}
