//! The client leg's handshake callbacks: answer with the upstream's 101, or refuse with
//! the upstream's (or the proxy's own) HTTP error.

use tokio_tungstenite::tungstenite::handshake::server::{
    Callback, ErrorResponse, Request, Response,
};

use super::upstream;

/// Accepts the client with the upstream's answer, remembering what was sent.
pub(super) struct Accept<'a> {
    /// The upstream's 101 answer.
    pub(super) upstream: &'a Response,
    /// The answer the client got.
    pub(super) sent: &'a mut Option<Response>,
}

impl Callback for Accept<'_> {
    fn on_request(self, _: &Request, own: Response) -> Result<Response, ErrorResponse> {
        let response = upstream::client_answer(own, self.upstream);
        *self.sent = Some(response.clone());
        Ok(response)
    }
}

/// Refuses the client with this HTTP answer.
pub(super) struct Refuse(pub(super) ErrorResponse);

impl Callback for Refuse {
    fn on_request(self, _: &Request, _: Response) -> Result<Response, ErrorResponse> {
        Err(self.0)
    }
}
