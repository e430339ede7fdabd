//! How a connection authenticates its opening handshake: Basic, Bearer, or an API key in a
//! header or the query, applied on every connect and reconnect. The values may hold
//! `{{variables}}`; they are expanded with the rest of the config before connecting.

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::oauth2::ClientCredentials;

/// Where an API key goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyPlace {
    /// A request header.
    #[default]
    Header,
    /// A query parameter, appended (encoded) to the URL.
    Query,
}

/// A tab's (or a run's) authentication.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Auth {
    /// Nothing is added.
    #[default]
    None,
    /// `Authorization: Basic base64(user:password)` (RFC 7617).
    Basic {
        /// The user id (it may not hold `:`).
        user: String,
        /// The password.
        password: String,
    },
    /// `Authorization: Bearer <token>` (RFC 6750).
    Bearer {
        /// The token.
        token: String,
    },
    /// OAuth 2.0 client credentials (RFC 6749 4.4): a token fetched before the handshake,
    /// sent as Bearer. The window fetches it; a config handed to the engine carries the
    /// token as [`Auth::Bearer`] instead.
    OAuth2(ClientCredentials),
    /// An API key as a header or a query parameter.
    ApiKey {
        /// The header or parameter name, e.g. `X-API-Key` or `api_key`.
        name: String,
        /// The key.
        value: String,
        /// Where it goes.
        place: KeyPlace,
    },
}

/// Why an `--auth` value cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The value is not one of the four forms.
    #[error(
        "expected basic:USER:PASS, bearer:TOKEN, header:NAME:VALUE or query:NAME:VALUE (got {0:?})"
    )]
    Form(String),
    /// A Basic user id holds a colon, which RFC 7617 forbids.
    #[error("a Basic user id cannot contain ':' (RFC 7617)")]
    ColonInUser,
    /// A name or token is empty.
    #[error("the {0} is empty")]
    Empty(&'static str),
    /// An OAuth 2.0 auth reached the handshake without its token.
    #[error(
        "OAuth 2.0 needs a token fetched before the handshake (the window does this; the command line has --oauth2)"
    )]
    NoToken,
}

impl Auth {
    /// True for [`Auth::None`].
    pub fn is_none(&self) -> bool {
        *self == Auth::None
    }

    /// Every kind, with its label, in the order a selector offers them.
    pub const KINDS: [&'static str; 6] = [
        "No auth",
        "Basic",
        "Bearer token",
        "API key (header)",
        "API key (query)",
        "OAuth 2.0 (client credentials)",
    ];

    /// Parses the command line's `--auth`: `basic:USER:PASS`, `bearer:TOKEN`,
    /// `header:NAME:VALUE`, `query:NAME:VALUE`.
    pub fn parse(spec: &str) -> Result<Self, AuthError> {
        let form = || AuthError::Form(spec.to_owned());
        let (kind, rest) = spec.split_once(':').ok_or_else(form)?;
        let auth = match kind.to_ascii_lowercase().as_str() {
            "basic" => {
                let (user, password) = rest.split_once(':').ok_or_else(form)?;
                Auth::Basic {
                    user: user.to_owned(),
                    password: password.to_owned(),
                }
            }
            "bearer" => Auth::Bearer {
                token: rest.to_owned(),
            },
            "header" | "query" => {
                let (name, value) = rest.split_once(':').ok_or_else(form)?;
                Auth::ApiKey {
                    name: name.trim().to_owned(),
                    value: value.to_owned(),
                    place: if kind.eq_ignore_ascii_case("query") {
                        KeyPlace::Query
                    } else {
                        KeyPlace::Header
                    },
                }
            }
            _ => return Err(form()),
        };
        auth.check()?;
        Ok(auth)
    }

    /// Checks what the handshake needs: a Basic user without `:`, a token, a key name.
    pub fn check(&self) -> Result<(), AuthError> {
        match self {
            Auth::None => Ok(()),
            Auth::Basic { user, .. } if user.contains(':') => Err(AuthError::ColonInUser),
            Auth::Basic { .. } => Ok(()),
            Auth::Bearer { token } if token.trim().is_empty() => Err(AuthError::Empty("token")),
            Auth::Bearer { .. } => Ok(()),
            Auth::ApiKey { name, .. } if name.trim().is_empty() => {
                Err(AuthError::Empty("key name"))
            }
            Auth::ApiKey { .. } => Ok(()),
            Auth::OAuth2(credentials) if credentials.token_url.trim().is_empty() => {
                Err(AuthError::Empty("token URL"))
            }
            Auth::OAuth2(credentials) if credentials.client_id.trim().is_empty() => {
                Err(AuthError::Empty("client id"))
            }
            Auth::OAuth2(_) => Ok(()),
        }
    }

    /// The header the handshake gets, `(name, value)`.
    pub fn header(&self) -> Option<(String, String)> {
        match self {
            Auth::Basic { user, password } => {
                let credential =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                Some(("Authorization".into(), format!("Basic {credential}")))
            }
            Auth::Bearer { token } => Some(("Authorization".into(), format!("Bearer {token}"))),
            Auth::ApiKey {
                name,
                value,
                place: KeyPlace::Header,
            } => Some((name.clone(), value.clone())),
            Auth::None
            | Auth::OAuth2(_)
            | Auth::ApiKey {
                place: KeyPlace::Query,
                ..
            } => None,
        }
    }

    /// The query parameter the URL gets, `(name, value)`, not yet encoded.
    pub fn query(&self) -> Option<(&str, &str)> {
        match self {
            Auth::ApiKey {
                name,
                value,
                place: KeyPlace::Query,
            } => Some((name, value)),
            _ => None,
        }
    }

    /// The values that are secret: the password (and the Basic credential made from it),
    /// the token, the key; for the redaction step.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        match self {
            Auth::None => {}
            Auth::Basic { password, .. } => {
                secrets.push(password.clone());
                if let Some((_, value)) = self.header()
                    && let Some((_, credential)) = value.split_once(' ')
                {
                    secrets.push(credential.to_owned());
                }
            }
            Auth::Bearer { token } => secrets.push(token.clone()),
            Auth::ApiKey { value, .. } => secrets.push(value.clone()),
            Auth::OAuth2(credentials) => secrets.push(credentials.client_secret.clone()),
        }
        secrets
    }

    /// The same auth with every text passed through `map` (variable expansion, redaction);
    /// `map` is told whether the text is secret.
    pub fn map_texts<E>(
        &self,
        mut map: impl FnMut(&str, bool) -> Result<String, E>,
    ) -> Result<Auth, E> {
        Ok(match self {
            Auth::None => Auth::None,
            Auth::Basic { user, password } => Auth::Basic {
                user: map(user, false)?,
                password: map(password, true)?,
            },
            Auth::Bearer { token } => Auth::Bearer {
                token: map(token, true)?,
            },
            Auth::ApiKey { name, value, place } => Auth::ApiKey {
                name: map(name, false)?,
                value: map(value, true)?,
                place: *place,
            },
            Auth::OAuth2(credentials) => Auth::OAuth2(ClientCredentials {
                token_url: map(&credentials.token_url, false)?,
                client_id: map(&credentials.client_id, false)?,
                client_secret: map(&credentials.client_secret, true)?,
                scope: map(&credentials.scope, false)?,
            }),
        })
    }

    /// [`Auth::map_texts`] with a map that cannot fail.
    pub fn map(&self, mut map: impl FnMut(&str, bool) -> String) -> Auth {
        let Ok(auth) =
            self.map_texts(|text, secret| Ok::<_, std::convert::Infallible>(map(text, secret)));
        auth
    }

    /// The command line's flags for this auth, `--auth VALUE` or `--oauth2 URL
    /// --client-id ID --client-secret SECRET [--scope S]` (values as they are: pass a
    /// redacted auth to show it).
    pub fn to_flags(&self) -> Vec<String> {
        match self {
            Auth::OAuth2(credentials) => {
                let mut words = vec![
                    "--oauth2".to_owned(),
                    credentials.token_url.clone(),
                    "--client-id".to_owned(),
                    credentials.client_id.clone(),
                    "--client-secret".to_owned(),
                    credentials.client_secret.clone(),
                ];
                if !credentials.scope.trim().is_empty() {
                    words.extend(["--scope".to_owned(), credentials.scope.clone()]);
                }
                words
            }
            other => other
                .to_flag()
                .map(|value| vec!["--auth".to_owned(), value])
                .unwrap_or_default(),
        }
    }

    /// Every text of the auth, for finding the `{{variables}}` it uses.
    pub fn texts(&self) -> Vec<String> {
        let mut texts = Vec::new();
        self.map(|text, _| {
            texts.push(text.to_owned());
            text.to_owned()
        });
        texts
    }

    /// The command line's `--auth` value for this auth (values as they are: pass a
    /// redacted auth to show it); `None` for none and for OAuth 2.0 (see
    /// [`Auth::to_flags`]).
    pub fn to_flag(&self) -> Option<String> {
        match self {
            Auth::None | Auth::OAuth2(_) => None,
            Auth::Basic { user, password } => Some(format!("basic:{user}:{password}")),
            Auth::Bearer { token } => Some(format!("bearer:{token}")),
            Auth::ApiKey { name, value, place } => Some(format!(
                "{}:{name}:{value}",
                match place {
                    KeyPlace::Header => "header",
                    KeyPlace::Query => "query",
                }
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_forms_parse_and_print_back() {
        for spec in [
            "basic:ada:p:a:ss",
            "bearer:abc.def",
            "header:X-API-Key:k1",
            "query:api_key:k 2",
        ] {
            assert_eq!(Auth::parse(spec).unwrap().to_flag().as_deref(), Some(spec));
        }
        assert_eq!(
            Auth::parse("basic:ada:p:a:ss").unwrap(),
            Auth::Basic {
                user: "ada".into(),
                password: "p:a:ss".into()
            }
        );
        assert!(matches!(Auth::parse("digest:x"), Err(AuthError::Form(_))));
        assert!(matches!(Auth::parse("bearer:"), Err(AuthError::Empty(_))));
        assert!(matches!(Auth::parse("header::v"), Err(AuthError::Empty(_))));
        assert!(matches!(Auth::parse("basic"), Err(AuthError::Form(_))));
    }

    #[test]
    fn basic_is_rfc_7617_and_its_credential_is_secret() {
        let auth = Auth::Basic {
            user: "Aladdin".into(),
            password: "open sesame".into(),
        };
        assert_eq!(
            auth.header(),
            Some((
                "Authorization".into(),
                "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==".into()
            ))
        );
        assert_eq!(
            auth.secrets(),
            ["open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="]
        );
        let key = Auth::parse("query:k:v").unwrap();
        assert_eq!((key.header(), key.query()), (None, Some(("k", "v"))));
    }
}
