//! `permessage-deflate` (RFC 7692) as a connection's setting: off, on as browsers offer it,
//! or on with parameters. The extension itself lives in the vendored tungstenite
//! (vendor/tungstenite/src/extensions); this is the user's side of it.

use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::extensions::deflate::DeflateParams;

/// Whether and how a connection offers `permessage-deflate`. Saved with sessions; files
/// written before it existed load as [`DeflateSetting::On`], which is what browsers do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeflateSetting {
    /// Not offered: messages go uncompressed.
    Off,
    /// Offered as Chrome and Firefox offer it: `permessage-deflate; client_max_window_bits`.
    #[default]
    On,
    /// Offered with these parameters, as typed (for example
    /// `server_no_context_takeover; client_max_window_bits=10`).
    Params(String),
}

impl DeflateSetting {
    /// Reads `off`, `on` or parameters (`--deflate` on the command line). Parameters are
    /// checked here, so that a typo is a usage error and not a failed handshake.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "off" | "false" | "no" => Ok(Self::Off),
            "on" | "true" | "yes" | "" => Ok(Self::On),
            params => {
                DeflateParams::parse(params)?;
                Ok(Self::Params(params.to_owned()))
            }
        }
    }

    /// The offer this setting makes: `None` when off.
    pub fn offer(&self) -> Result<Option<DeflateParams>, String> {
        match self {
            Self::Off => Ok(None),
            Self::On => Ok(Some(DeflateParams::browser_offer())),
            Self::Params(text) => DeflateParams::parse(text).map(Some),
        }
    }

    /// True for the default, [`DeflateSetting::On`] (not written to session files).
    pub fn is_default(&self) -> bool {
        *self == Self::On
    }

    /// The `--deflate` value that gives this setting back.
    pub fn to_flag_value(&self) -> String {
        match self {
            Self::Off => "off".to_owned(),
            Self::On => "on".to_owned(),
            Self::Params(text) => text.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_offer_is_the_browsers() {
        let offer = DeflateSetting::default().offer().unwrap().unwrap();
        assert_eq!(
            offer.to_string(),
            "permessage-deflate; client_max_window_bits"
        );
        assert_eq!(DeflateSetting::Off.offer().unwrap(), None);
    }

    #[test]
    fn parameters_are_checked_when_given() {
        let setting =
            DeflateSetting::parse("server_no_context_takeover; client_max_window_bits=10").unwrap();
        assert_eq!(
            setting.offer().unwrap().unwrap().to_string(),
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"
        );
        assert_eq!(DeflateSetting::parse("off").unwrap(), DeflateSetting::Off);
        let error = DeflateSetting::parse("server_max_window_bits=20").unwrap_err();
        assert!(error.contains("8 to 15"), "{error}");
        assert!(DeflateSetting::parse("bogus").is_err());
    }

    mod never_panics {
        use std::io::{Cursor, Read, Write};

        use proptest::prelude::*;
        use tokio_tungstenite::tungstenite::extensions::deflate::DeflateParams;
        use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig, WebSocketContext};

        use super::DeflateSetting;

        /// A server's bytes to read; what the client writes goes nowhere.
        struct Peer(Cursor<Vec<u8>>);

        impl Read for Peer {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.0.read(buf)
            }
        }

        impl Write for Peer {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        proptest! {
            /// Whatever is typed, the setting parses or says why.
            #[test]
            fn any_text_parses_or_is_refused(text in ".{0,80}") {
                if let Ok(setting) = DeflateSetting::parse(&text) {
                    let offer = setting.offer().unwrap();
                    if let Some(offer) = offer {
                        let again = DeflateParams::parse(&offer.to_string()).unwrap();
                        prop_assert_eq!(again, offer);
                    }
                }
            }

            /// Whatever a server sends as compressed frames (one or two fragments, any
            /// bytes), reading ends in a message or an error, within the size limit.
            #[test]
            fn any_compressed_frames_read_without_panic(
                first in proptest::collection::vec(any::<u8>(), 0..120),
                second in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..120)),
                binary in any::<bool>(),
            ) {
                let opcode = if binary { 0x2 } else { 0x1 };
                let mut wire = Vec::new();
                let fin = if second.is_some() { 0x00 } else { 0x80 };
                wire.extend([fin | 0x40 | opcode, first.len() as u8]);
                wire.extend(&first);
                if let Some(second) = &second {
                    wire.extend([0x80, second.len() as u8]);
                    wire.extend(second);
                }
                let config = WebSocketConfig::default().max_message_size(Some(4096));
                let mut context = WebSocketContext::new(Role::Client, Some(config));
                context.set_deflate(Some(DeflateParams::default()));
                let mut peer = Peer(Cursor::new(wire));
                for _ in 0..3 {
                    match context.read(&mut peer) {
                        Ok(message) => prop_assert!(message.len() <= 4096),
                        Err(_) => break,
                    }
                }
            }
        }
    }

    #[test]
    fn old_session_text_without_the_field_means_on() {
        let setting: DeflateSetting =
            ron::from_str("Params(\"client_no_context_takeover\")").unwrap();
        assert_eq!(setting.to_flag_value(), "client_no_context_takeover");
        assert_eq!(ron::to_string(&DeflateSetting::Off).unwrap(), "Off");
    }
}
