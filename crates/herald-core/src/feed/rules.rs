//! A feed's rules: which of its changes deserve a popup, which only the
//! timeline, and how a notification reads.
//!
//! Rules are tried in order and the first that matches decides; a change no
//! rule matches is notified as usual. A rule matches on the SSE event type,
//! the actor, and JSON-pointer conditions on the event's data:
//!
//! ```toml
//! [[feed.rule]]
//! event = "message"
//! when = [{ pointer = "/tags", contains = "prod" }, { pointer = "/priority", equals = 5 }]
//! then = "urgent"
//! summary = "{/title} on {feed}"
//! body = "{/message}"
//! ```
//!
//! Rules are judged where the event is read, since that is where its data
//! is: the outcome travels in the [`Change`] as its [`Level`], and the
//! templates have already become its summary and body. Both are plain text;
//! the notifier escapes them for servers that read markup.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::change::{Change, Level};
use super::values::scalar_text;

/// One condition on the event's data, at a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub pointer: String,
    /// The value there equals this (a number equals its text: `5` and `"5"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    /// The value there is text holding this, or a list with an item equal to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// Whether anything is there at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
}

/// One rule of a feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The SSE event type it takes ("create", "message"); any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The actor it takes; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Conditions on the data, all of which must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<Condition>,
    pub then: Level,
    /// The notification's summary, from a template such as `"{/title} by {actor}"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The notification's body, from a template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// How a feed's notifications are coalesced. Every field has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
#[ts(export)]
pub struct Coalesce {
    /// Changes to one record this close together update one notification.
    #[ts(type = "number")]
    pub record_window_secs: u64,
    /// More changes than this to one feed within `burst_window_secs` are
    /// one burst: a single notification that grows while it lasts.
    pub burst_count: u32,
    /// The window a burst is counted in.
    #[ts(type = "number")]
    pub burst_window_secs: u64,
    /// A notification is updated in place at most this often (each update
    /// doubles the wait, to a minute), and a feed opens at most one new
    /// notification this often.
    #[ts(type = "number")]
    pub update_secs: u64,
    /// Offline or refused this long, the feed says so once.
    #[ts(type = "number")]
    pub offline_after_secs: u64,
    /// Whether to coalesce at all: off, every change is its own popup.
    pub enabled: bool,
}

impl Default for Coalesce {
    fn default() -> Self {
        Coalesce {
            record_window_secs: 30,
            burst_count: 3,
            burst_window_secs: 10,
            update_secs: 2,
            offline_after_secs: 300,
            enabled: true,
        }
    }
}

impl Coalesce {
    /// Why these settings can't be used.
    pub fn check(&self) -> Result<(), String> {
        if self.burst_count == 0 {
            return Err("burst_count must be at least 1".into());
        }
        if self.burst_window_secs == 0 {
            return Err("burst_window_secs must be at least 1".into());
        }
        Ok(())
    }
}

/// Why a rule can't be used, for the feeds file's line-numbered errors.
pub fn check(rule: &Rule) -> Result<(), String> {
    for condition in &rule.when {
        if !condition.pointer.is_empty() && !condition.pointer.starts_with('/') {
            return Err(format!("pointer {:?} must be a JSON pointer, such as \"/priority\"", condition.pointer));
        }
        let tests = [condition.equals.is_some(), condition.contains.is_some(), condition.exists.is_some()];
        if tests.iter().filter(|&&t| t).count() != 1 {
            return Err(format!(
                "the condition on {:?} needs exactly one of equals, contains or exists",
                condition.pointer
            ));
        }
    }
    for (name, template) in [("summary", &rule.summary), ("body", &rule.body)] {
        if let Some(template) = template {
            parse(template).map_err(|reason| format!("{name} template {template:?}: {reason}"))?;
        }
    }
    Ok(())
}

/// The first rule that matches, if any.
pub fn first_match<'a>(
    rules: &'a [Rule],
    event_type: &str,
    actor: Option<&str>,
    data: Option<&Value>,
) -> Option<&'a Rule> {
    rules.iter().find(|rule| {
        rule.event.as_deref().is_none_or(|e| e == event_type)
            && rule.actor.as_deref().is_none_or(|a| Some(a) == actor)
            && rule.when.iter().all(|c| holds(c, data))
    })
}

/// Judges `change` by `rules`: its level, and its summary and body from the
/// matching rule's templates.
pub fn judge(rules: &[Rule], event_type: &str, data: &str, change: &mut Change) {
    if rules.is_empty() {
        return;
    }
    let data: Option<Value> = serde_json::from_str(data).ok();
    judge_value(rules, event_type, data.as_ref(), change);
}

/// Judges `change` by `rules` on data already parsed: a change a resync
/// found missed is judged on the record, under the event type that would
/// have carried it.
pub fn judge_value(rules: &[Rule], event_type: &str, data: Option<&Value>, change: &mut Change) {
    let Some(rule) = first_match(rules, event_type, change.actor.as_deref(), data) else { return };
    change.level = rule.then;
    let fields = Fields { change, event_type, data };
    let summary = rule.summary.as_deref().map(|t| render(t, &fields));
    let body = rule.body.as_deref().map(|t| render(t, &fields));
    if let Some(summary) = summary {
        change.summary = summary;
    }
    if let Some(body) = body {
        change.body = Some(body);
    }
}

fn holds(condition: &Condition, data: Option<&Value>) -> bool {
    let found = data.and_then(|d| d.pointer(&condition.pointer)).filter(|v| !v.is_null());
    if let Some(exists) = condition.exists {
        return found.is_some() == exists;
    }
    let Some(found) = found else { return false };
    if let Some(wanted) = &condition.equals {
        return found == wanted || (scalar_text(found).is_some() && scalar_text(found) == scalar_text(wanted));
    }
    if let Some(part) = &condition.contains {
        return match found {
            Value::String(text) => text.contains(part.as_str()),
            Value::Array(items) => items.iter().any(|item| scalar_text(item).as_deref() == Some(part.as_str())),
            _ => false,
        };
    }
    false
}

/// A piece of a template: literal text, or a field to fill in.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    /// `{/pointer}` into the data.
    Pointer(&'a str),
    /// `{actor}`, `{title}`, `{feed}`, `{event}`, `{key}`.
    Name(&'a str),
}

const NAMES: [&str; 5] = ["actor", "title", "feed", "event", "key"];

/// Splits a template into pieces; `{{` and `}}` stand for braces.
fn parse(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        let Some(at) = rest.find(['{', '}']) else {
            pieces.push(Piece::Text(rest));
            break;
        };
        if at > 0 {
            pieces.push(Piece::Text(&rest[..at]));
        }
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("{{") {
            pieces.push(Piece::Text("{"));
            rest = after;
        } else if let Some(after) = rest.strip_prefix("}}") {
            pieces.push(Piece::Text("}"));
            rest = after;
        } else if rest.starts_with('}') {
            return Err("a lone '}' (write '}}' for a brace)".into());
        } else {
            let end = rest.find('}').ok_or("a '{' that is never closed")?;
            let field = &rest[1..end];
            pieces.push(if field.starts_with('/') {
                Piece::Pointer(field)
            } else if NAMES.contains(&field) {
                Piece::Name(field)
            } else {
                return Err(format!(
                    "unknown field {{{field}}}: use a JSON pointer such as {{/title}}, or one of {}",
                    NAMES.map(|n| format!("{{{n}}}")).join(", ")
                ));
            });
            rest = &rest[end + 1..];
        }
    }
    Ok(pieces)
}

struct Fields<'a> {
    change: &'a Change,
    event_type: &'a str,
    data: Option<&'a Value>,
}

/// Fills a checked template in; a missing field reads as nothing.
fn render(template: &str, fields: &Fields<'_>) -> String {
    let Ok(pieces) = parse(template) else { return template.to_owned() };
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Pointer(pointer) => {
                if let Some(value) = fields.data.and_then(|d| d.pointer(pointer)) {
                    out.push_str(&scalar_text(value).unwrap_or_else(|| value.to_string()));
                }
            }
            Piece::Name(name) => out.push_str(match name {
                "actor" => fields.change.actor.as_deref().unwrap_or("someone"),
                "title" => &fields.change.title,
                "feed" => &fields.change.feed,
                "event" => fields.event_type,
                _ => fields.change.key.as_deref().unwrap_or(""),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Action;
    use serde_json::json;

    fn change() -> Change {
        Change {
            feed: "alerts".into(),
            event_id: "1".into(),
            action: Action::Message,
            verb: None,
            key: None,
            title: "Disk full".into(),
            previous_title: None,
            body: Some("on host-3".into()),
            actor: Some("ci-bot".into()),
            own: false,
            at: 0,
            missed: false,
            priority: Some(3),
            click: None,
            tags: vec!["prod".into()],
            record: None,
            summary: "Disk full".into(),
            level: Level::Notify,
            extras: Default::default(),
        }
    }

    fn rule(then: Level) -> Rule {
        Rule { event: None, actor: None, when: Vec::new(), then, summary: None, body: None }
    }

    fn when(pointer: &str, equals: Option<Value>, contains: Option<&str>, exists: Option<bool>) -> Condition {
        Condition { pointer: pointer.into(), equals, contains: contains.map(Into::into), exists }
    }

    const DATA: &str = r#"{"title":"Disk full","priority":5,"tags":["prod","db"],"host":{"name":"db-1"},"id":"7"}"#;

    #[test]
    fn the_first_matching_rule_decides() {
        let rules = vec![
            Rule { event: Some("create".into()), ..rule(Level::Ignore) },
            Rule { actor: Some("ana".into()), ..rule(Level::Timeline) },
            Rule { when: vec![when("/tags", None, Some("prod"), None)], ..rule(Level::Urgent) },
            rule(Level::Timeline),
        ];
        let mut c = change();
        judge(&rules, "message", DATA, &mut c);
        assert_eq!(c.level, Level::Urgent, "neither the event type nor the actor of the first two");
        let mut c = change();
        judge(&rules, "create", DATA, &mut c);
        assert_eq!(c.level, Level::Ignore);
        let mut c = Change { actor: Some("ana".into()), ..change() };
        judge(&rules, "message", DATA, &mut c);
        assert_eq!(c.level, Level::Timeline);
        let mut c = change();
        judge(&[], "message", DATA, &mut c);
        assert_eq!(c.level, Level::Notify, "no rules, no change");
    }

    #[test]
    fn conditions_equal_contain_and_exist() {
        let data: Value = serde_json::from_str(DATA).unwrap();
        let d = Some(&data);
        assert!(holds(&when("/priority", Some(json!(5)), None, None), d));
        assert!(holds(&when("/priority", Some(json!("5")), None, None), d), "a number equals its text");
        assert!(!holds(&when("/priority", Some(json!(4)), None, None), d));
        assert!(holds(&when("/host/name", Some(json!("db-1")), None, None), d));
        assert!(holds(&when("/title", None, Some("full"), None), d), "text holding it");
        assert!(holds(&when("/tags", None, Some("db"), None), d), "a list with it");
        assert!(!holds(&when("/tags", None, Some("d"), None), d), "an item equal to it, not part of one");
        assert!(!holds(&when("/priority", None, Some("5"), None), d), "a number holds no text");
        assert!(holds(&when("/host", None, None, Some(true)), d));
        assert!(holds(&when("/missing", None, None, Some(false)), d));
        assert!(!holds(&when("/missing", Some(json!(1)), None, None), d));
        assert!(!holds(&when("/title", None, Some("x"), None), None), "data that is not JSON holds nothing");
        assert!(holds(&when("/title", None, None, Some(false)), None));
    }

    #[test]
    fn templates_fill_in_fields_and_pointers() {
        let rules = vec![Rule {
            summary: Some("{/title} on {/host/name} ({/priority})".into()),
            body: Some("{actor} says {{{event}}} {/tags} {/nothing}|{key}|{feed}".into()),
            ..rule(Level::Notify)
        }];
        let mut c = change();
        judge(&rules, "message", DATA, &mut c);
        assert_eq!(c.summary, "Disk full on db-1 (5)");
        assert_eq!(c.body.as_deref(), Some(r#"ci-bot says {message} ["prod","db"] ||alerts"#));
    }

    #[test]
    fn template_values_stay_plain_text_for_the_notifier_to_escape() {
        let rules = vec![Rule { summary: Some("{/title}".into()), ..rule(Level::Notify) }];
        let mut c = change();
        judge(&rules, "message", r#"{"title":"<b>bold</b> & <a href='x'>"}"#, &mut c);
        assert_eq!(c.summary, "<b>bold</b> & <a href='x'>");
        let alert = crate::attention::alert_for(&c, "alerts").unwrap();
        assert_eq!(alert.summary, "<b>bold</b> & <a href='x'>", "the summary is plain text by the spec");
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        let bad_pointer = Rule { when: vec![when("priority", Some(json!(5)), None, None)], ..rule(Level::Urgent) };
        assert_eq!(
            check(&bad_pointer).unwrap_err(),
            r#"pointer "priority" must be a JSON pointer, such as "/priority""#
        );
        let two = Rule { when: vec![when("/p", Some(json!(5)), Some("x"), None)], ..rule(Level::Urgent) };
        assert_eq!(
            check(&two).unwrap_err(),
            r#"the condition on "/p" needs exactly one of equals, contains or exists"#
        );
        let none = Rule { when: vec![when("/p", None, None, None)], ..rule(Level::Urgent) };
        assert!(check(&none).unwrap_err().contains("exactly one"));
        for (template, reason) in [
            ("{/title", "a '{' that is never closed"),
            ("a } b", "a lone '}' (write '}}' for a brace)"),
            ("{who}", "unknown field {who}: use a JSON pointer such as {/title}, or one of {actor}, {title}, {feed}, {event}, {key}"),
        ] {
            let r = Rule { body: Some(template.into()), ..rule(Level::Notify) };
            assert_eq!(check(&r).unwrap_err(), format!("body template {template:?}: {reason}"));
        }
        assert_eq!(check(&Rule { summary: Some("{{x}} {/a} {actor}".into()), ..rule(Level::Notify) }), Ok(()));
    }
}
