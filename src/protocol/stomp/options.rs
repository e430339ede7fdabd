//! STOMP's options: the virtual host, credentials, heart-beating and extra CONNECT headers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The options a tab sets for STOMP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// CONNECT's `host` header (the virtual host); left out when empty.
    pub host: String,
    /// CONNECT's `login` header; left out when empty.
    pub login: String,
    /// CONNECT's `passcode` header (a secret: redacted everywhere); left out when empty.
    pub passcode: String,
    /// CONNECT's `heart-beat`: `cx,cy` in milliseconds (how often we can send, how often
    /// we want to hear from the server; `0,0` for none).
    pub heart_beat: String,
    /// More CONNECT headers, by name.
    pub headers: BTreeMap<String, String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            host: String::new(),
            login: String::new(),
            passcode: String::new(),
            heart_beat: "10000,10000".to_owned(),
            headers: BTreeMap::new(),
        }
    }
}

impl Options {
    /// True when nothing differs from the defaults (files leave it out).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Sets one option from `KEY=VALUE` text (`--protocol-option`); `header.NAME=VALUE`
    /// adds a CONNECT header.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "host" => self.host = value.to_owned(),
            "login" => self.login = value.to_owned(),
            "passcode" => self.passcode = value.to_owned(),
            "heart_beat" => {
                parse_heart_beat(value)?;
                self.heart_beat = value.trim().to_owned();
            }
            _ => match key.strip_prefix("header.") {
                Some(name) if !name.is_empty() => {
                    self.headers.insert(name.to_owned(), value.to_owned());
                }
                _ => {
                    return Err(format!(
                        "unknown STOMP option `{key}`: expected host, login, passcode, \
                         heart_beat or header.NAME"
                    ));
                }
            },
        }
        Ok(())
    }

    /// Secrets among the options, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        if self.passcode.is_empty() {
            Vec::new()
        } else {
            vec![self.passcode.clone()]
        }
    }
}

/// A `heart-beat` value `x,y` as two numbers of milliseconds.
pub fn parse_heart_beat(value: &str) -> Result<(u64, u64), String> {
    let wrong = || format!("`heart_beat` is two numbers of milliseconds, `x,y`, not `{value}`");
    let (x, y) = value.trim().split_once(',').ok_or_else(wrong)?;
    let x = x.trim().parse().map_err(|_| wrong())?;
    let y = y.trim().parse().map_err(|_| wrong())?;
    Ok((x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_set_from_text_and_the_passcode_is_a_secret() {
        let mut options = Options::default();
        assert!(options.is_default());
        options.set("passcode", "guest").unwrap();
        options.set("heart_beat", "1000, 0").unwrap();
        options.set("header.client-id", "me").unwrap();
        assert_eq!(options.secrets(), vec!["guest".to_owned()]);
        assert_eq!(parse_heart_beat(&options.heart_beat), Ok((1000, 0)));
        assert_eq!(options.headers["client-id"], "me");
        assert!(
            options
                .set("heart_beat", "fast")
                .unwrap_err()
                .contains("`x,y`")
        );
        assert!(
            options
                .set("vhost", "/")
                .unwrap_err()
                .contains("unknown STOMP option")
        );
    }
}
