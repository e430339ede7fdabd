//! `sockscope secret set NAME` (the value from standard input, never from the command
//! line), `secret list` (names only) and `secret delete NAME`: secrets in the OS keychain
//! for `{{secret.NAME}}`, with their names kept in the config directory's index. One JSON
//! line per result; exit 1 when there is no keychain or it fails, 2 for a usage error.

use std::io::{Read, Write};

use serde_json::json;

use super::args::SecretCommand;
use super::error::{CliError, Outcome};
use crate::secrets::index::NameIndex;
use crate::secrets::{self, Keychain};

/// The longest value `secret set` reads from standard input.
pub const MAX_VALUE_BYTES: u64 = 64 * 1024;

/// Runs a `secret` command.
pub fn run(command: &SecretCommand) -> Result<Outcome, CliError> {
    match command {
        SecretCommand::Set { name } => {
            check(name)?;
            let value = read_value(std::io::stdin().lock())?;
            let keychain = open()?;
            keychain
                .set(name, &value)
                .map_err(|error| CliError::failed("secret set: ", error))?;
            index()?
                .add(name)
                .map_err(|error| CliError::failed("secret set: the name index: ", error))?;
            print(&json!({"event": "secret-set", "name": name}))
        }
        SecretCommand::List => {
            let index = index()?;
            for name in index.names() {
                print(&json!({"event": "secret", "name": name}))?;
            }
            Ok(Outcome::Success)
        }
        SecretCommand::Delete { name } => {
            check(name)?;
            let keychain = open()?;
            let deleted = keychain.delete(name);
            let mut index = index()?;
            // A name the keychain no longer has is forgotten either way.
            if matches!(deleted, Ok(()) | Err(secrets::KeychainError::NotFound(_))) {
                index
                    .remove(name)
                    .map_err(|error| CliError::failed("secret delete: the name index: ", error))?;
            }
            deleted.map_err(|error| CliError::failed("secret delete: ", error))?;
            print(&json!({"event": "secret-deleted", "name": name}))
        }
    }
}

fn check(name: &str) -> Result<(), CliError> {
    secrets::check_name(name).map_err(|error| CliError::usage("secret: ", error))
}

fn open() -> Result<Keychain, CliError> {
    Keychain::open().map_err(|error| CliError::failed("secret: ", error))
}

fn index() -> Result<NameIndex, CliError> {
    let dir = secrets::config_dir().ok_or_else(|| {
        CliError::failed(
            "secret: ",
            "no config directory is known (set SOCKSCOPE_CONFIG_DIR)",
        )
    })?;
    NameIndex::load(&dir).map_err(|error| CliError::failed("secret: ", error))
}

/// The value on `input`: UTF-8, at most [`MAX_VALUE_BYTES`], one trailing newline (LF or
/// CRLF) dropped, not empty.
fn read_value(input: impl Read) -> Result<String, CliError> {
    let mut bytes = Vec::new();
    input
        .take(MAX_VALUE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| CliError::failed("secret set: cannot read standard input: ", error))?;
    if bytes.len() as u64 > MAX_VALUE_BYTES {
        return Err(CliError::usage(
            "secret set: ",
            format!("the value on standard input is over {MAX_VALUE_BYTES} bytes"),
        ));
    }
    let mut value = String::from_utf8(bytes).map_err(|_| {
        CliError::usage(
            "secret set: ",
            "the value on standard input is not UTF-8 text",
        )
    })?;
    if value.ends_with('\n') {
        value.pop();
        if value.ends_with('\r') {
            value.pop();
        }
    }
    if value.is_empty() {
        return Err(CliError::usage(
            "secret set: ",
            "no value on standard input (pipe it in: printf %s VALUE | sockscope secret set NAME)",
        ));
    }
    Ok(value)
}

fn print(line: &serde_json::Value) -> Result<Outcome, CliError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|error| CliError::failed("secret: cannot write standard output: ", error))?;
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_is_read_whole_with_one_newline_dropped() {
        assert_eq!(read_value(&b"s3cret value\n"[..]).unwrap(), "s3cret value");
        assert_eq!(read_value(&b"two\r\n"[..]).unwrap(), "two");
        assert_eq!(read_value(&b"keep\n\n"[..]).unwrap(), "keep\n");
        assert_eq!(read_value(&b"no newline"[..]).unwrap(), "no newline");
        for bad in [&b""[..], b"\n", b"\xff\xfe"] {
            let error = read_value(bad).unwrap_err();
            assert!(matches!(error, CliError::Usage { .. }), "{error}");
        }
        let big = vec![b'x'; MAX_VALUE_BYTES as usize + 1];
        assert!(read_value(&big[..]).is_err());
    }
}
