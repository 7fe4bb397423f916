//! Who else is here: where a feed's server tells it (an event type on the
//! stream) and where it is told which record the user has open. Presence
//! is ambient: it is kept on the feed's state for the window, never stored,
//! never a change, never a notification.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where a feed's server speaks of presence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceApi {
    /// The event type that says who is here (Herald's hub: `presence`).
    pub event: String,
    /// Where `PUT {"viewing": key}` says which record the user has open.
    pub url: String,
}

/// Someone with the feed open now, and the record they are looking at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Present {
    pub actor: String,
    /// The key of the record they have open.
    pub viewing: Option<String>,
}

/// Reads a presence event's data: `{"present": [{"actor", "viewing"?}]}`.
pub fn read(data: &str) -> Result<Vec<Present>, String> {
    let presence: herald_wire::Presence = serde_json::from_str(data).map_err(|e| e.to_string())?;
    Ok(presence
        .present
        .into_iter()
        .map(|p| Present { actor: p.actor, viewing: p.viewing.map(|id| id.to_string()) })
        .collect())
}

/// The body that says which record is open: a key that is a number goes as
/// one, as the hub's ids are; `None` says that none is.
pub fn viewing_body(key: Option<&str>) -> serde_json::Value {
    let viewing = key.map(|key| match key.parse::<i64>() {
        Ok(id) => serde_json::Value::from(id),
        Err(_) => serde_json::Value::from(key),
    });
    serde_json::json!({ "viewing": viewing })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_reads_with_keys_as_text() {
        let present = read(r#"{"present":[{"actor":"Ana","viewing":12},{"actor":"Bob"}]}"#).unwrap();
        assert_eq!(
            present,
            [
                Present { actor: "Ana".into(), viewing: Some("12".into()) },
                Present { actor: "Bob".into(), viewing: None }
            ]
        );
        assert!(read("{\"present\": 3}").is_err());
        assert_eq!(viewing_body(Some("12")), serde_json::json!({"viewing": 12}));
        assert_eq!(viewing_body(None), serde_json::json!({"viewing": null}));
    }
}
