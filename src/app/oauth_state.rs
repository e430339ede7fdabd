//! A tab's OAuth 2.0 token: fetched on the engine's runtime when a connect needs one (the
//! window goes on meanwhile), kept until it expires, fetched again for a later connect.
//! Each request and its answer (without the secret or the token) goes on the timeline.

use std::time::Duration;

use tokio::sync::oneshot;

use crate::engine::TlsOptions;
use crate::engine::TokenExchange;
use crate::engine::WakeFn;
use crate::engine::oauth2::{self, ClientCredentials, Token, TokenError, fetch_token};
use crate::engine::proxy::ProxyMode;

/// A token this close to expiring is fetched again before a handshake.
pub const TOKEN_MARGIN: Duration = Duration::from_secs(10);

/// The token of a tab, and the fetch under way.
#[derive(Debug, Default)]
pub struct OAuthState {
    /// The last token, and the credentials it was fetched with.
    token: Option<(ClientCredentials, Token)>,
    /// A fetch under way.
    pending: Option<(
        ClientCredentials,
        oneshot::Receiver<Result<Token, TokenError>>,
    )>,
    /// The last finished request and its answer, for the tab's timeline.
    exchange: Option<TokenExchange>,
}

/// What polling a fetch came to.
#[derive(Debug)]
pub enum Fetched {
    /// Nothing yet (or no fetch).
    Waiting,
    /// A token came: connect now.
    Token,
    /// The endpoint refused or failed.
    Failed(TokenError),
}

impl OAuthState {
    /// The token to send for `credentials`, when one is kept and not about to expire.
    pub fn usable(&self, credentials: &ClientCredentials) -> Option<&Token> {
        self.token
            .as_ref()
            .filter(|(for_credentials, token)| {
                for_credentials == credentials && !token.expired(TOKEN_MARGIN)
            })
            .map(|(_, token)| token)
    }

    /// True while a fetch is under way.
    pub fn is_fetching(&self) -> bool {
        self.pending.is_some()
    }

    /// Starts fetching a token on `runtime` (unless a fetch is under way); `wake` repaints
    /// the window when it is done.
    pub fn start(
        &mut self,
        credentials: ClientCredentials,
        tls: TlsOptions,
        proxy: ProxyMode,
        timeout: Duration,
        runtime: &tokio::runtime::Handle,
        wake: WakeFn,
    ) {
        if self.pending.is_some() {
            return;
        }
        let (done, receiver) = oneshot::channel();
        let asked = credentials.clone();
        runtime.spawn(async move {
            let result = fetch_token(&asked, &tls, &proxy, timeout).await;
            // The tab may be gone: then nobody waits for the token.
            let _ = done.send(result);
            wake();
        });
        self.pending = Some((credentials, receiver));
    }

    /// Takes a finished fetch's result.
    pub fn poll(&mut self) -> Fetched {
        let Some((_, receiver)) = &mut self.pending else {
            return Fetched::Waiting;
        };
        let result = match receiver.try_recv() {
            Ok(result) => result,
            Err(oneshot::error::TryRecvError::Empty) => return Fetched::Waiting,
            Err(oneshot::error::TryRecvError::Closed) => {
                self.pending = None;
                return Fetched::Waiting;
            }
        };
        let Some((credentials, _)) = self.pending.take() else {
            return Fetched::Waiting;
        };
        self.exchange = Some(oauth2::exchange(&credentials, &result));
        match result {
            Ok(token) => {
                self.token = Some((credentials, token));
                Fetched::Token
            }
            Err(error) => Fetched::Failed(error),
        }
    }

    /// The last finished request and its answer (once), for the tab's timeline.
    pub fn take_exchange(&mut self) -> Option<TokenExchange> {
        self.exchange.take()
    }

    /// What the connection bar says about the token, when there is one.
    pub fn status(&self) -> Option<String> {
        if let Some((credentials, _)) = &self.pending {
            return Some(format!(
                "Fetching an OAuth 2.0 token from {}…",
                credentials.token_url
            ));
        }
        let (_, token) = self.token.as_ref()?;
        Some(match token.expires_in {
            Some(seconds) => {
                let left = Duration::from_secs(seconds).saturating_sub(token.received.elapsed());
                format!("OAuth 2.0 token: expires in {} s", left.as_secs())
            }
            None => "OAuth 2.0 token: no expiry given".to_owned(),
        })
    }
}
