//! A rule made of arbitrary parts (its summary and body templates, a JSON
//! pointer in its condition), judged on arbitrary event data, as a feed's
//! rules judge every change that arrives.
//!
//! Input: template, pointer and data, separated by 0xFF bytes.
//!
//! Properties: nothing panics; a rule the feeds file would refuse is never
//! judged (as in Herald); one that is judged, matching, sets the change's
//! level, and its summary is the template filled in: no longer than the
//! template and the data together.

#![no_main]

use herald_core::feed::rules::{check, judge, Condition, Rule};
use herald_core::feed::{Change, Level};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fn change() -> Change {
    serde_json::from_value(json!({
        "feed": "alerts", "eventId": "1", "action": "message", "verb": null, "key": null,
        "title": "Door", "previousTitle": null, "body": null, "actor": "Ana", "own": false,
        "at": 0, "missed": false, "priority": null, "click": null, "tags": [], "record": null,
        "summary": "Door", "level": "notify"
    }))
    .expect("a change")
}

fuzz_target!(|input: &[u8]| {
    let mut parts = input.split(|&b| b == 0xFF).map(String::from_utf8_lossy);
    let (Some(template), Some(pointer), Some(data)) = (parts.next(), parts.next(), parts.next()) else { return };
    let rule = Rule {
        event: None,
        actor: None,
        when: vec![Condition { pointer: pointer.into_owned(), equals: None, contains: None, exists: Some(true) }],
        then: Level::Urgent,
        summary: Some(template.clone().into_owned()),
        body: Some(template.clone().into_owned()),
    };
    if check(&rule).is_err() {
        return;
    }
    let mut judged = change();
    judge(std::slice::from_ref(&rule), "message", &data, &mut judged);
    if judged.level == Level::Urgent {
        // Each field is filled in at most once per place it is named, and a
        // name is at least three characters of the template ("{a}").
        let most = template.len() * (data.len() + judged.title.len() + 16);
        assert!(judged.summary.len() <= most.max(template.len()), "{} from {template:?}", judged.summary.len());
    } else {
        assert_eq!(judged.summary, "Door", "a rule that does not match changes nothing");
    }
});
