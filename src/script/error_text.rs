//! A script's errors in words: a load error with its file:line:column, a runtime error with
//! where it was thrown, and which errors mean a limit was met.

use std::fmt;

use rquickjs::CaughtError;

/// A script that cannot run: it does not compile, or its top level threw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The script's file name, as given.
    pub file: String,
    /// Line (from 1) and column (from 1), when the engine said where.
    pub position: Option<(u32, u32)>,
    /// What went wrong, e.g. `SyntaxError: unexpected token in expression: ';'`.
    pub message: String,
}

impl LoadError {
    /// An error with no position (the runtime could not start, a limit at the top level).
    pub fn internal(file: &str, message: &str) -> Self {
        Self {
            file: file.to_owned(),
            position: None,
            message: message.to_owned(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

/// The load error for an exception out of the top level of `file`.
pub(super) fn load_error(file: &str, caught: &CaughtError<'_>) -> LoadError {
    let (message, stack) = parts(caught);
    LoadError {
        file: file.to_owned(),
        position: stack.as_deref().and_then(|stack| position_in(stack, file)),
        message,
    }
}

/// `Name: message (at file:line:column)` for an exception out of a hook or timer.
pub(super) fn runtime_error(caught: &CaughtError<'_>) -> String {
    let (message, stack) = parts(caught);
    match stack.as_deref().and_then(first_frame) {
        Some(frame) => format!("{message} (at {frame})"),
        None => message,
    }
}

/// True for the errors QuickJS raises when the memory limit is reached (a `null`
/// exception when even the error object could not be made).
pub(super) fn is_out_of_memory(text: &str) -> bool {
    text.contains("out of memory") || text == NULL_EXCEPTION
}

/// True for the error QuickJS raises at the stack limit.
pub(super) fn is_stack_overflow(text: &str) -> bool {
    text.contains("Maximum call stack size exceeded") || text.contains("stack overflow")
}

const NULL_EXCEPTION: &str = "thrown: null";

/// The message (`Name: message`) and the stack of an exception.
fn parts(caught: &CaughtError<'_>) -> (String, Option<String>) {
    match caught {
        CaughtError::Exception(exception) => {
            let name: String = exception
                .as_object()
                .get::<_, Option<String>>("name")
                .ok()
                .flatten()
                .unwrap_or_else(|| "Error".to_owned());
            let message = exception.message().unwrap_or_default();
            (format!("{name}: {message}"), exception.stack())
        }
        CaughtError::Value(value) => {
            let text = if value.is_null() {
                "null".to_owned()
            } else if let Some(text) = value.as_string().and_then(|s| s.to_string().ok()) {
                format!("{text:?}")
            } else {
                format!("a {}", value.type_name())
            };
            (format!("thrown: {text}"), None)
        }
        CaughtError::Error(error) => (error.to_string(), None),
    }
}

/// The first `line:column` of `file` in a stack.
fn position_in(stack: &str, file: &str) -> Option<(u32, u32)> {
    let needle = format!("{file}:");
    stack.lines().find_map(|line| {
        let at = line.find(&needle)?;
        parse_position(&line[at + needle.len()..])
    })
}

/// `12:5` at the start of `rest` (followed by anything).
fn parse_position(rest: &str) -> Option<(u32, u32)> {
    let mut parts = rest.splitn(2, ':');
    let line = parts.next()?.parse().ok()?;
    let column: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((line, column.parse().ok()?))
}

/// The first frame of a stack that is not the prelude's: `file:line:column`.
fn first_frame(stack: &str) -> Option<String> {
    stack.lines().find_map(|line| {
        let line = line.trim().strip_prefix("at ")?;
        if line.contains("sockscope-prelude.js") {
            return None;
        }
        let place = match (line.rfind('('), line.rfind(')')) {
            (Some(open), Some(close)) if open < close => &line[open + 1..close],
            _ => line,
        };
        (place != "native").then(|| place.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_come_from_the_stack() {
        assert_eq!(position_in("    at my.js:3:2\n", "my.js"), Some((3, 2)));
        assert_eq!(
            position_in("    at <eval> (my.js:1:11)\n", "my.js"),
            Some((1, 11))
        );
        assert_eq!(position_in("    at other.js:1:1", "my.js"), None);
    }

    #[test]
    fn the_first_frame_skips_the_prelude() {
        let stack = "    at check (sockscope-prelude.js:200:9)\n    at onMessage (a.js:4:7)\n";
        assert_eq!(first_frame(stack), Some("a.js:4:7".to_owned()));
    }

    #[test]
    fn a_load_error_names_file_line_and_column() {
        let error = LoadError {
            file: "x.js".into(),
            position: Some((2, 5)),
            message: "SyntaxError: oops".into(),
        };
        assert_eq!(error.to_string(), "x.js:2:5: SyntaxError: oops");
    }
}
