//! MQTT's options: which version to speak, who the client is, and its keep-alive.

use serde::{Deserialize, Serialize};

/// MQTT 3.1.1's protocol level.
pub const V311: u8 = 4;
/// MQTT 5's protocol level.
pub const V5: u8 = 5;

/// The options a tab sets for MQTT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// The protocol level: 4 (MQTT 3.1.1, the default) or 5 (MQTT 5).
    pub version: u8,
    /// The client identifier; one is made up (`sockscope-…`) when empty.
    pub client_id: String,
    /// The user name, if any.
    pub username: String,
    /// The password, if any (a secret: redacted everywhere).
    pub password: String,
    /// The keep-alive in seconds (0: no keep-alive); a PINGREQ goes out when nothing else
    /// was sent for this long.
    pub keep_alive: u16,
    /// Start a clean session (3.1.1's clean session, 5's clean start).
    pub clean_start: bool,
    /// MQTT 5's session expiry interval in seconds (0: the session ends with the
    /// connection).
    pub session_expiry: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            version: V311,
            client_id: String::new(),
            username: String::new(),
            password: String::new(),
            keep_alive: 60,
            clean_start: true,
            session_expiry: 0,
        }
    }
}

impl Options {
    /// True when nothing differs from the defaults (files leave it out).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Sets one option from `KEY=VALUE` text (`--protocol-option`).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        match key {
            "version" => {
                self.version = match value {
                    "4" | "3.1.1" => V311,
                    "5" | "5.0" => V5,
                    _ => {
                        return Err(format!(
                            "`version` takes 4 (MQTT 3.1.1) or 5, not `{value}`"
                        ));
                    }
                }
            }
            "client_id" => self.client_id = value.to_owned(),
            "username" => self.username = value.to_owned(),
            "password" => self.password = value.to_owned(),
            "keep_alive" => self.keep_alive = number(key, value)?,
            "clean_start" => {
                self.clean_start = match value {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => return Err(format!("`clean_start` takes true or false, not `{value}`")),
                }
            }
            "session_expiry" => self.session_expiry = number(key, value)?,
            _ => {
                return Err(format!(
                    "unknown MQTT option `{key}`: expected version, client_id, username, \
                     password, keep_alive, clean_start or session_expiry"
                ));
            }
        }
        Ok(())
    }

    /// Secrets among the options, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        if self.password.is_empty() {
            Vec::new()
        } else {
            vec![self.password.clone()]
        }
    }

    /// The protocol level to speak: 5 when asked for, else 3.1.1.
    pub fn level(&self) -> u8 {
        if self.version == V5 { V5 } else { V311 }
    }
}

/// `value` as a number of type `T`, or an error naming `key`.
fn number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("`{key}` takes a whole number of seconds, not `{value}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_set_from_text_and_the_password_is_a_secret() {
        let mut options = Options::default();
        assert!(options.is_default());
        options.set("version", "5").unwrap();
        options.set("password", "hunter2").unwrap();
        options.set("keep_alive", "1").unwrap();
        options.set("clean_start", "false").unwrap();
        assert_eq!(options.level(), V5);
        assert_eq!(options.keep_alive, 1);
        assert!(!options.clean_start);
        assert_eq!(options.secrets(), vec!["hunter2".to_owned()]);
        assert!(
            options
                .set("version", "3")
                .unwrap_err()
                .contains("4 (MQTT 3.1.1) or 5")
        );
        assert!(
            options
                .set("qos", "1")
                .unwrap_err()
                .contains("unknown MQTT option `qos`")
        );
        assert!(options.set("keep_alive", "-1").is_err());
    }
}
