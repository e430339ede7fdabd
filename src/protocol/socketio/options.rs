//! What a tab sets for Socket.IO: the Engine.IO version, the namespace and its auth, the
//! endpoint's path and extra query parameters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The options a tab sets for Socket.IO.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// The Engine.IO protocol version: 4 (Socket.IO v3 and v4 servers) or 3 (Socket.IO v2
    /// servers, or v3/v4 servers with `allowEIO3`).
    pub eio: u8,
    /// The namespace joined once the connection is up (`/` by default).
    pub namespace: String,
    /// The JSON sent with the namespace's CONNECT packet (Socket.IO v3/v4's `auth`, read by
    /// the server's middleware as `socket.handshake.auth`); its text values are secrets.
    /// Engine.IO 3 has no auth payload: put such values in `query` there.
    pub auth: Value,
    /// The endpoint's path when the URL has none (the server's `path` option).
    pub path: String,
    /// Extra query parameters of the handshake (`socket.handshake.query`), as
    /// `{"name": "value"}`.
    pub query: BTreeMap<String, String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            eio: 4,
            namespace: "/".into(),
            auth: Value::Null,
            path: "/socket.io/".into(),
            query: BTreeMap::new(),
        }
    }
}

/// The keys `set` takes, for error messages.
const KEYS: &str = "eio, namespace, auth, path, query";

impl Options {
    /// True when nothing differs from the defaults (files leave it out).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Sets one option from `KEY=VALUE` text: `eio=3`, `namespace=/admin`,
    /// `auth={"token":"…"}`, `path=/ws/`, `query=NAME=VALUE` (repeatable; adds one
    /// parameter) or `query={"name":"value"}`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "eio" => {
                self.eio = match value.trim() {
                    "3" => 3,
                    "4" => 4,
                    other => {
                        return Err(format!(
                            "{other:?}: the Engine.IO version is 4 (Socket.IO v3/v4) or 3 (v2)"
                        ));
                    }
                };
            }
            "namespace" => self.namespace = normalize_namespace(value)?,
            "auth" => {
                let auth: Value = serde_json::from_str(value)
                    .map_err(|e| format!("auth takes a JSON object: {e}"))?;
                if !matches!(auth, Value::Object(_) | Value::Null) {
                    return Err("auth takes a JSON object, such as {\"token\":\"…\"}".into());
                }
                self.auth = auth;
            }
            "path" => {
                let path = value.trim();
                if path.is_empty() || path.contains(['?', '#']) {
                    return Err(format!("{path:?} is not a path such as /socket.io/"));
                }
                self.path = path.to_owned();
            }
            "query" => {
                if value.trim_start().starts_with('{') {
                    self.query = serde_json::from_str(value)
                        .map_err(|e| format!("query takes {{\"name\":\"value\"}}: {e}"))?;
                } else {
                    let (name, value) = value
                        .split_once('=')
                        .ok_or("query takes NAME=VALUE (or a JSON object)")?;
                    self.query.insert(name.to_owned(), value.to_owned());
                }
            }
            _ => return Err(format!("unknown option `{key}`: expected one of {KEYS}")),
        }
        Ok(())
    }

    /// Secrets among the options, for redaction: the text values in `auth`, and the
    /// values of query parameters named like a credential (`token`, `key`, `password`, …:
    /// Engine.IO 3 servers read their auth from the query).
    pub fn secrets(&self) -> Vec<String> {
        let mut found = Vec::new();
        collect_strings(&self.auth, &mut found);
        found.extend(
            self.query
                .iter()
                .filter(|(name, _)| looks_secret(name))
                .map(|(_, value)| value.clone()),
        );
        found.retain(|secret| !secret.is_empty());
        found
    }

    /// The Engine.IO version spoken: 3 when set so, 4 otherwise.
    pub fn engine_v3(&self) -> bool {
        self.eio == 3
    }

    /// The namespace to join, written as Socket.IO writes it.
    pub fn namespace(&self) -> String {
        normalize_namespace(&self.namespace).unwrap_or_else(|_| "/".into())
    }

    /// The auth payload of a CONNECT, when there is one.
    pub fn auth_payload(&self) -> Option<Value> {
        (!self.auth.is_null()).then(|| self.auth.clone())
    }
}

/// `admin` → `/admin`; an empty namespace is `/`; a namespace cannot hold `,`.
pub fn normalize_namespace(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.contains(',') {
        return Err(format!("{text:?}: a namespace cannot contain `,`"));
    }
    Ok(if text.starts_with('/') {
        text.to_owned()
    } else {
        format!("/{text}")
    })
}

/// A query parameter name that usually carries a credential.
fn looks_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "token", "key", "pass", "secret", "auth", "jwt", "sig", "session",
    ]
    .iter()
    .any(|word| name.contains(word))
}

fn collect_strings(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) => found.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| collect_strings(item, found)),
        Value::Object(map) => map.values().for_each(|item| collect_strings(item, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn options_set_from_key_value_text() {
        let mut options = Options::default();
        assert!(options.is_default());
        options.set("eio", "3").unwrap();
        options.set("namespace", "admin").unwrap();
        options
            .set("auth", r#"{"token":"s3cret","n":1,"deep":["pw"]}"#)
            .unwrap();
        options.set("query", "room=a b").unwrap();
        options.set("path", "/io/").unwrap();
        assert!(options.engine_v3());
        assert_eq!(options.namespace, "/admin");
        assert_eq!(options.auth["token"], json!("s3cret"));
        assert_eq!(options.query.get("room").map(String::as_str), Some("a b"));
        assert_eq!(
            options.secrets(),
            vec!["s3cret".to_owned(), "pw".to_owned()]
        );
        options.set("query", "access_token=qq").unwrap();
        assert!(options.secrets().contains(&"qq".to_owned()));
        assert!(
            !options.secrets().contains(&"a b".to_owned()),
            "room is no secret"
        );
        assert!(!options.is_default());
    }

    #[test]
    fn bad_values_and_unknown_keys_say_what_is_expected() {
        let mut options = Options::default();
        assert!(options.set("eio", "5").unwrap_err().contains("4"));
        assert!(options.set("auth", "[1]").unwrap_err().contains("object"));
        assert!(options.set("auth", "{").is_err());
        assert!(options.set("namespace", "/a,b").is_err());
        assert!(options.set("query", "novalue").is_err());
        assert!(
            options
                .set("colour", "red")
                .unwrap_err()
                .contains("eio, namespace")
        );
        assert!(options.is_default());
    }

    #[test]
    fn saved_form_fills_missing_fields_with_defaults() {
        let options: Options = serde_json::from_value(json!({"eio": 3})).unwrap();
        assert_eq!(options.path, "/socket.io/");
        assert_eq!(options.namespace, "/");
    }
}
