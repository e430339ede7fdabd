//! `--decode SPEC`: `none`, `auto`, or a chain of steps joined by `+` (`gzip+json`).

use std::fmt;
use std::str::FromStr;

/// The most steps a chain may have.
pub const MAX_STEPS: usize = 4;

/// One decoding step. Compression steps turn bytes into bytes and may be chained; a value
/// step turns bytes into a value and ends the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// gzip (RFC 1952), every member.
    Gzip,
    /// zlib (RFC 1950).
    Zlib,
    /// Raw deflate (RFC 1951).
    Deflate,
    /// One zlib context across a connection's messages, each ending `00 00 ff ff`.
    ZlibStream,
    /// UTF-8 JSON text.
    Json,
    /// MessagePack.
    Msgpack,
    /// CBOR (RFC 8949).
    Cbor,
    /// Protobuf read with the given schema and message type.
    Protobuf,
    /// Protobuf without a schema: field numbers and wire types.
    ProtobufRaw,
}

/// The stateless compressions, for [`super::compress`] and [`super::decompress`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    /// gzip.
    Gzip,
    /// zlib.
    Zlib,
    /// Raw deflate.
    Deflate,
}

impl Step {
    /// Every step, in the order the help text lists them.
    pub const ALL: [Step; 9] = [
        Step::Msgpack,
        Step::Cbor,
        Step::Protobuf,
        Step::ProtobufRaw,
        Step::Gzip,
        Step::Zlib,
        Step::Deflate,
        Step::ZlibStream,
        Step::Json,
    ];

    /// The name in a SPEC, e.g. `protobuf-raw`.
    pub fn name(self) -> &'static str {
        match self {
            Step::Gzip => "gzip",
            Step::Zlib => "zlib",
            Step::Deflate => "deflate",
            Step::ZlibStream => "zlib-stream",
            Step::Json => "json",
            Step::Msgpack => "msgpack",
            Step::Cbor => "cbor",
            Step::Protobuf => "protobuf",
            Step::ProtobufRaw => "protobuf-raw",
        }
    }

    /// Whether the step turns bytes into a value (and so must be last).
    pub fn makes_value(self) -> bool {
        !matches!(
            self,
            Step::Gzip | Step::Zlib | Step::Deflate | Step::ZlibStream
        )
    }

    /// The stateless compression this step is, if it is one.
    pub fn compression(self) -> Option<Compression> {
        match self {
            Step::Gzip => Some(Compression::Gzip),
            Step::Zlib => Some(Compression::Zlib),
            Step::Deflate => Some(Compression::Deflate),
            _ => None,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Compression {
    /// The step of this compression.
    pub fn step(self) -> Step {
        match self {
            Compression::Gzip => Step::Gzip,
            Compression::Zlib => Step::Zlib,
            Compression::Deflate => Step::Deflate,
        }
    }
}

/// What to do with a payload: leave it (`none`), detect it (`auto`), or apply a chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum DecodeSpec {
    /// Leave payloads as they are (today's output).
    #[default]
    None,
    /// Detect each payload's format by the rules in the module documentation.
    Auto,
    /// Apply these steps, first to last.
    Chain(Vec<Step>),
}

/// Why a SPEC string is not a decoding spec.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The spec, or one step of it, is empty (`""`, `gzip+`).
    #[error("empty decode step in {0:?}")]
    Empty(String),
    /// A step name that is not known.
    #[error(
        "unknown decode step {0:?}: expected none, auto, msgpack, cbor, protobuf, protobuf-raw, gzip, zlib, deflate, zlib-stream, json, or a chain joined by +"
    )]
    Unknown(String),
    /// `none` or `auto` inside a chain.
    #[error("{0} cannot be part of a chain")]
    NotInChain(&'static str),
    /// A value step followed by another step (`msgpack+gzip`).
    #[error("{step} makes a value, so nothing can follow it (got {next} after it)")]
    ValueNotLast {
        /// The value step.
        step: Step,
        /// The step after it.
        next: Step,
    },
    /// `zlib-stream` after another step: it reads the connection's raw messages.
    #[error("zlib-stream reads the connection's messages, so it must come first")]
    ZlibStreamNotFirst,
    /// More than [`MAX_STEPS`] steps.
    #[error("a chain has at most {MAX_STEPS} steps")]
    TooLong,
}

impl FromStr for Step {
    type Err = SpecError;

    fn from_str(name: &str) -> Result<Self, SpecError> {
        Step::ALL
            .into_iter()
            .find(|step| step.name() == name)
            .ok_or_else(|| SpecError::Unknown(name.to_owned()))
    }
}

impl FromStr for DecodeSpec {
    type Err = SpecError;

    /// Parses `none`, `auto` or `step+step+…`; names are exact and lowercase.
    fn from_str(spec: &str) -> Result<Self, SpecError> {
        match spec {
            "none" => return Ok(DecodeSpec::None),
            "auto" => return Ok(DecodeSpec::Auto),
            _ => {}
        }
        let mut steps = Vec::new();
        for name in spec.split('+') {
            let step = match name {
                "" => return Err(SpecError::Empty(spec.to_owned())),
                "none" => return Err(SpecError::NotInChain("none")),
                "auto" => return Err(SpecError::NotInChain("auto")),
                name => name.parse::<Step>()?,
            };
            if let Some(&before) = steps.last() {
                if Step::makes_value(before) {
                    return Err(SpecError::ValueNotLast {
                        step: before,
                        next: step,
                    });
                }
                if step == Step::ZlibStream {
                    return Err(SpecError::ZlibStreamNotFirst);
                }
            }
            steps.push(step);
            if steps.len() > MAX_STEPS {
                return Err(SpecError::TooLong);
            }
        }
        Ok(DecodeSpec::Chain(steps))
    }
}

impl serde::Serialize for DecodeSpec {
    /// Written as its SPEC text (`"gzip+json"`), as the command line takes it.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DecodeSpec {
    /// Read from its SPEC text; a bad one is an error naming what is wrong.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for DecodeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeSpec::None => f.write_str("none"),
            DecodeSpec::Auto => f.write_str("auto"),
            DecodeSpec::Chain(steps) => f.write_str(&chain_name(steps)),
        }
    }
}

/// `gzip+json` for those steps.
pub fn chain_name(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|step| step.name())
        .collect::<Vec<_>>()
        .join("+")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_of_the_contract_parses_and_prints_back() {
        for text in [
            "none",
            "auto",
            "msgpack",
            "cbor",
            "protobuf",
            "protobuf-raw",
            "gzip",
            "zlib",
            "deflate",
            "zlib-stream",
            "json",
            "gzip+json",
            "zlib+msgpack",
            "zlib-stream+json",
            "gzip+gzip+cbor",
        ] {
            let spec: DecodeSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
        }
        assert_eq!(
            "gzip+json".parse::<DecodeSpec>().unwrap(),
            DecodeSpec::Chain(vec![Step::Gzip, Step::Json])
        );
    }

    #[test]
    fn a_bad_spec_says_what_is_wrong() {
        let err = |text: &str| text.parse::<DecodeSpec>().unwrap_err();
        assert_eq!(err(""), SpecError::Empty(String::new()));
        assert_eq!(err("gzip+"), SpecError::Empty("gzip+".into()));
        assert_eq!(err("msgpak"), SpecError::Unknown("msgpak".into()));
        assert_eq!(err("GZIP"), SpecError::Unknown("GZIP".into()));
        assert_eq!(err("gzip+auto"), SpecError::NotInChain("auto"));
        assert_eq!(
            err("msgpack+gzip"),
            SpecError::ValueNotLast {
                step: Step::Msgpack,
                next: Step::Gzip
            }
        );
        assert_eq!(err("gzip+zlib-stream"), SpecError::ZlibStreamNotFirst);
        assert_eq!(err("gzip+gzip+gzip+gzip+json"), SpecError::TooLong);
        assert!(
            err("msgpak")
                .to_string()
                .contains("unknown decode step \"msgpak\"")
        );
    }
}
