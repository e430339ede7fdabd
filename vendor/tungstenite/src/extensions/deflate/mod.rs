//! `permessage-deflate` (RFC 7692): the parameters, their negotiation and the codec.

mod codec;
mod header;
mod negotiate;
mod params;
#[cfg(test)]
mod tests;

pub(crate) use codec::DeflateContext;
pub use negotiate::{accept_offer, agree_response, NegotiationError};
pub use params::{DeflateParams, EXTENSION_NAME};
